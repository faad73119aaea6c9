// Backchannel: curators' helpers. Selecting words in a quoted evidence sentence fills the
// "Add an alias from a sentence" form with them and with that sentence. The form works
// without this file (choose the sentence and type the name).
(function () {
  "use strict";

  function sentenceOf(node) {
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    if (!element) {
      return null;
    }
    return element.closest("blockquote[data-evidence], .article-body .evidence[id^='ev-']");
  }

  function optionFor(select, sentence) {
    if (sentence.hasAttribute("data-evidence")) {
      return select.querySelector("option[value='" + sentence.getAttribute("data-evidence") + "']");
    }
    var start = sentence.id.slice(3);
    return select.querySelector("option[data-start='" + start + "']");
  }

  function fill() {
    var form = document.querySelector("form[data-alias-form]");
    var selection = window.getSelection && window.getSelection();
    if (!form || !selection || selection.isCollapsed) {
      return;
    }
    var text = selection.toString().replace(/\s+/g, " ").trim();
    var sentence = sentenceOf(selection.anchorNode);
    if (!text || text.length > 200 || !sentence || sentence !== sentenceOf(selection.focusNode)) {
      return;
    }
    var option = optionFor(form.querySelector("select[name='sentence']"), sentence);
    if (!option) {
      return;
    }
    option.selected = true;
    form.querySelector("input[name='alias']").value = text;
    var panel = form.closest("details");
    if (panel) {
      panel.open = true;
    }
  }

  document.addEventListener("mouseup", fill);
  document.addEventListener("keyup", function (event) {
    if (event.shiftKey) {
      fill();
    }
  });
})();
