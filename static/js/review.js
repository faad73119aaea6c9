// The review queue's keys: j next, k previous, o (or Enter) open the selected meeting.
(function () {
  "use strict";

  var list = document.querySelector("[data-review-list]");
  if (!list) {
    return;
  }
  var items = Array.prototype.slice.call(list.querySelectorAll("[data-review-item]"));
  var current = -1;

  function select(index) {
    if (!items.length) {
      return;
    }
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach(function (item, position) {
      item.classList.toggle("is-selected", position === current);
      item.setAttribute("aria-current", position === current ? "true" : "false");
    });
    items[current].focus();
    items[current].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    if (event.key === "j") {
      select(current + 1);
    } else if (event.key === "k") {
      select(current - 1);
    } else if (event.key === "o" || (event.key === "Enter" && current >= 0)) {
      if (current < 0) {
        return;
      }
      var link = items[current].querySelector("[data-review-link]");
      if (link) {
        event.preventDefault();
        window.location.assign(link.href);
      }
    } else {
      return;
    }
    event.preventDefault();
  });
})();
