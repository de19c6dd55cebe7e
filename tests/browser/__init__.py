"""Support for tests/test_browser.py: the built site served on loopback and inspected in Chromium.

`package.json` and `package-lock.json` here pin the MathJax the book loads from its CDN; the tests
install it into `node_modules/` (git-ignored) with `npm ci` and serve it in place of the CDN, so
pages typeset with no network.
"""
