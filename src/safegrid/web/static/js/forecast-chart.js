// Forecast against actual (ANA-2, ANA-5). Loaded as a file: the CSP allows no inline script.
// The numbers come from a <script type="application/json"> block, which is data, not code.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.querySelector("canvas[data-chart-source]");
  if (!canvas || typeof window.Chart === "undefined") {
    return; // the table below shows the same figures
  }
  const source = document.getElementById(canvas.dataset.chartSource);
  if (!source) {
    return;
  }
  const data = JSON.parse(source.textContent);
  const series = [
    ["history", "#7a8a99", []],
    ["forecast", "#d9822b", [6, 4]],
    ["actual", "#0b6b5d", []],
  ];
  const datasets = series.map(([key, colour, dash]) => ({
    label: data.series[key],
    data: data[key],
    borderColor: colour,
    backgroundColor: colour,
    borderDash: dash,
    pointRadius: 0,
    spanGaps: false,
  }));
  new window.Chart(canvas, {
    type: "line",
    data: { labels: data.labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { position: "bottom" } },
      scales: { y: { title: { display: true, text: data.unit } } },
    },
  });
});
