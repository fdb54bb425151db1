// Display board (HALL-3): new calls arrive as server-sent events and are put on top of the
// board at once; the htmx poll every few seconds stays as the fallback and the queue lengths.
(function () {
  var board = document.querySelector("[data-board-stream]");
  if (!board || !window.EventSource) return;
  var source = new EventSource(board.getAttribute("data-board-stream"));
  source.addEventListener("call", function (e) {
    var call = JSON.parse(e.data);
    var body = document.querySelector("[data-testid=board-calls] tbody");
    if (!body) return;
    var row = document.createElement("tr");
    row.className = "now";
    var number = document.createElement("td");
    number.className = "mono";
    number.textContent = call.number;
    var win = document.createElement("td");
    win.textContent = call.window;
    row.appendChild(number);
    row.appendChild(win);
    Array.prototype.forEach.call(body.querySelectorAll("tr.now"), function (r) { r.className = ""; });
    body.insertBefore(row, body.firstChild);
    while (body.children.length > 8) body.removeChild(body.lastChild);
  });
})();
