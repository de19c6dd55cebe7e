// Pages that fit (issue 12), with _static/fit.css: scroll cues for boxes that scroll sideways, and
// each display equation's natural width, which the print style uses to shrink it to the page.
"use strict";
(() => {
  const SCROLLERS = [
    'mjx-container[jax="CHTML"][display="true"]',
    ".bd-article .pst-scrollable-table-container",
    ".bd-article figure",
    ".bd-article pre",
  ].join(", ");
  // Tables and figures get a line of text above them too: their scroll bar is at the bottom,
  // often below the screen.
  const HINTED = {
    "pst-scrollable-table-container": "Scroll sideways to see every column \u2192",
    FIGURE: "Scroll sideways to see the whole figure \u2192",
  };

  const hintFor = box => {
    const text = HINTED[box.tagName] || HINTED[box.classList[0]];
    if (!text) return null;
    let hint = box.previousElementSibling;
    if (!hint || !hint.classList.contains("scroll-hint")) {
      hint = document.createElement("p");
      hint.className = "scroll-hint";
      hint.setAttribute("aria-hidden", "true");
      hint.textContent = text;
      hint.hidden = true;
      box.before(hint);
    }
    return hint;
  };

  const mark = box => {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("scrolls-x", scrolls);
    box.classList.toggle("scrolled", box.scrollLeft > 1);
    box.classList.toggle("at-end", box.scrollLeft + box.clientWidth >= box.scrollWidth - 1);
    const hint = hintFor(box);
    if (hint) hint.hidden = !scrolls;
  };

  // Inline math wider than the line that holds it (MathJax 3 does not break lines).
  const markInline = math => {
    const content = math.querySelector("mjx-math");
    const block = math.closest("p, li, dd, dt, td, th, figcaption, div");
    if (!content || !block) return;
    const style = getComputedStyle(block);
    const room = block.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    math.classList.toggle("wide-inline", content.getBoundingClientRect().width > room + 1);
  };

  const markAll = () => {
    document.querySelectorAll('mjx-container[jax="CHTML"]:not([display="true"])')
      .forEach(markInline);
    document.querySelectorAll(SCROLLERS + ", mjx-container.wide-inline").forEach(mark);
  };

  // The width of each display equation in ems of its own font, for the print style.
  const measureEquations = () => {
    document.querySelectorAll('mjx-container[jax="CHTML"][display="true"]').forEach(box => {
      const math = box.querySelector("mjx-math");
      const size = parseFloat(getComputedStyle(box).fontSize);
      if (math && size) {
        const width = math.getBoundingClientRect().width / size;
        if (width > 0) box.style.setProperty("--eq-em", width.toFixed(3));
      }
    });
  };

  let pending = 0;
  const later = () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(markAll);
  };

  window.addEventListener("load", () => {
    markAll();
    const typeset = window.MathJax && MathJax.startup && MathJax.startup.promise;
    if (typeset) {
      typeset.then(() => {
        measureEquations();
        markAll();
      });
    }
    window.addEventListener("resize", later);
    document.addEventListener("scroll", event => {
      if (event.target instanceof Element
          && event.target.matches(SCROLLERS + ", mjx-container.wide-inline")) mark(event.target);
    }, true);
    // A folded cell or a solution opened later may hold boxes that scroll.
    document.addEventListener("toggle", later, true);
  });
})();
