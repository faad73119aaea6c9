// Backchannel: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  var NARROW = "(max-width: 959px)";
  var focusResultsAfterSwap = false;

  function init(root) {
    // Filters start open (for readers without script); fold them on small screens.
    if (window.matchMedia && window.matchMedia(NARROW).matches) {
      root.querySelectorAll("details[data-collapse-narrow]").forEach(function (details) {
        details.open = false;
      });
    }
    // Charts scroll sideways on small screens: show the newest months first.
    root.querySelectorAll("[data-scroll-end]").forEach(function (element) {
      element.scrollLeft = element.scrollWidth;
    });
  }

  function filterForm() {
    return document.querySelector("form[data-filter-form]");
  }

  function nonEmptyEntries(formData) {
    var entries = [];
    formData.forEach(function (value, key) {
      if (typeof value === "string" && value.trim() !== "") {
        entries.push([key, value]);
      }
    });
    return entries;
  }

  function canonical(entries) {
    return entries
      .map(function (pair) {
        return encodeURIComponent(pair[0]) + "=" + encodeURIComponent(pair[1]);
      })
      .sort()
      .join("&");
  }

  // Copy the filters of a link's address into the form, so the form always shows the state.
  function applyToForm(form, params) {
    Array.prototype.forEach.call(form.elements, function (control) {
      if (!control.name) {
        return;
      }
      var values = params.getAll(control.name);
      if (control.type === "checkbox" || control.type === "radio") {
        control.checked = values.indexOf(control.value) !== -1;
      } else if (control.tagName === "SELECT" || control.tagName === "INPUT") {
        control.value = values.length ? values[0] : "";
      }
    });
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0) {
      return;
    }
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return; // opening in a new tab or window: let the browser follow the link
    }
    var link = event.target.closest && event.target.closest("a[data-filter-link]");
    var form = filterForm();
    if (!link || !form || !window.htmx) {
      return;
    }
    var url = new URL(link.getAttribute("href"), window.location.href);
    if (url.pathname !== new URL(form.getAttribute("action"), window.location.href).pathname) {
      return;
    }
    event.preventDefault();
    applyToForm(form, url.searchParams);
    focusResultsAfterSwap = true;
    window.htmx.trigger(form, "submit");
  });

  // Leave empty fields out of the address, and skip a request that would change nothing
  // (a search box losing focus after its words were already applied).
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-filter-form]")) {
      return;
    }
    var formData = event.detail.formData;
    var entries = nonEmptyEntries(formData);
    Array.from(new Set(Array.from(formData.keys()))).forEach(function (key) {
      formData.delete(key);
    });
    entries.forEach(function (pair) {
      formData.append(pair[0], pair[1]);
    });
    var current = new URLSearchParams(window.location.search);
    if (!current.has("page") && canonical(entries) === canonical(Array.from(current.entries()))) {
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target) {
      return;
    }
    init(target);
    if (focusResultsAfterSwap && target.id === "results") {
      focusResultsAfterSwap = false;
      var count = document.getElementById("result-count");
      if (count) {
        count.setAttribute("tabindex", "-1");
        count.focus({ preventScroll: true });
      }
    }
  });

  // Back and Forward: htmx reloads the page body from the server (historyCacheSize is 0, so
  // the form is rendered with the filters of the restored address); set it up again.
  document.addEventListener("htmx:historyRestore", function () {
    init(document);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      init(document);
    });
  } else {
    init(document);
  }
})();
