// A customer's monthly consumption (客户360). Loaded as a file: the CSP allows no inline
// script. The numbers come from a <script type="application/json"> block (data, not code);
// the table under the chart shows the same figures when scripts are off.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.querySelector("canvas[data-chart-source='usage-chart-data']");
  if (!canvas || typeof window.Chart === "undefined") {
    return;
  }
  const data = JSON.parse(document.getElementById(canvas.dataset.chartSource).textContent);
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{ label: data.series, data: data.kwh.map(Number), backgroundColor: "#0b6b5d" }],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: false } },
    },
  });
});
