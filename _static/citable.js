// The "copy link" button next to each stable label (_ext/citable.py): copies the statement's
// permanent address. The canonical page address (html_baseurl) is used when the page has one, so
// a link copied from a local preview still points at the published book.
"use strict";
document.addEventListener("click", event => {
  const button = event.target.closest && event.target.closest(".citable-copy");
  if (!button) return;
  const canonical = document.querySelector('link[rel="canonical"]');
  const page = canonical ? canonical.href : window.location.href;
  const url = new URL("#" + button.dataset.label, page).href;
  const done = text => {
    button.textContent = text;
    setTimeout(() => { button.textContent = "copy link"; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(url).then(() => done("copied"),
                                           () => window.prompt("Copy this link:", url));
  } else {
    window.prompt("Copy this link:", url);
  }
});
