// Display board (HALL-3): the server pushes this hall's news as server-sent events — each
// call on top of the board at once, the queue lengths after every change — so the board
// never polls for them. A "resync" (the board fell behind, or the stream was re-opened)
// re-reads the board once; the slow htmx poll is only the fallback without EventSource.
(function () {
  var board = document.querySelector("[data-board-stream]");
  if (!board || !window.EventSource) return;
  var live = document.getElementById("board-live");
  var source = new EventSource(board.getAttribute("data-board-stream"));
  var opened = false;
  function resync() {
    if (live && window.htmx) window.htmx.trigger(live, "resync");
  }
  source.addEventListener("open", function () {
    // A reconnect may have missed calls: read the board once.
    if (opened) resync();
    opened = true;
  });
  source.addEventListener("resync", resync);
  source.addEventListener("queue", function (e) {
    var waiting = JSON.parse(e.data);
    Array.prototype.forEach.call(document.querySelectorAll("[data-waiting]"), function (el) {
      el.textContent = waiting[el.getAttribute("data-waiting")] || 0;
    });
  });
  source.addEventListener("call", function (e) {
    var call = JSON.parse(e.data);
    var body = document.querySelector("[data-testid=board-calls] tbody");
    if (!body) return;
    Array.prototype.forEach.call(body.querySelectorAll("td[colspan]"), function (td) {
      body.removeChild(td.parentNode);
    });
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
