// Collection dashboard chart (BILL-5). Loaded as a file: the CSP allows no inline script.
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
    ["billed", "#0b6b5d"],
    ["written_off", "#7cb8ad"],
    ["outstanding", "#d9822b"],
  ];
  // Amounts arrive as exact decimal strings; the chart only needs them for drawing.
  const datasets = series.map(([key, colour]) => ({
    label: data.series[key],
    data: data[key].map(Number),
    backgroundColor: colour,
  }));
  new window.Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: {
            label: (item) => `${item.dataset.label}: ${data[series[item.datasetIndex][0]][item.dataIndex]} ${data.currency}`,
          },
        },
      },
      scales: { y: { beginAtZero: true } },
    },
  });
});
