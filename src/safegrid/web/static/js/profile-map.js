// t-SNE map of the customer profiles (ANA-4). Loaded as a file: the CSP allows no inline
// script. The points come from a <script type="application/json"> block, which is data.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.querySelector("canvas[data-chart-source]");
  if (!canvas || typeof window.Chart === "undefined") {
    return;
  }
  const source = document.getElementById(canvas.dataset.chartSource);
  if (!source) {
    return;
  }
  const data = JSON.parse(source.textContent);
  const colours = { residential: "#0b6b5d", commercial: "#d9822b", industrial: "#5b5fc7" };
  const datasets = Object.keys(colours).map((key) => ({
    label: data.categories[key],
    data: data.points.filter((p) => p.c === key).map((p) => ({ x: p.x, y: p.y, t: p.t })),
    backgroundColor: colours[key],
    pointRadius: 3,
  }));
  new window.Chart(canvas, {
    type: "scatter",
    data: { datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: { label: (ctx) => `${data.total}: ${ctx.raw.t.toFixed(3)}` },
        },
      },
      scales: { x: { display: false }, y: { display: false } },
    },
  });
});
