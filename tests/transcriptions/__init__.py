"""Literal transcriptions of every Adam/AdamW step that adamlib's presets claim to reproduce.

Each module rewrites one cited source in NumPy, statement by statement, keeping the source's
variable names, so that a reader can hold it next to the original and check it line by line.
The tests compare these transcriptions with :mod:`adamlib.reference` and its presets; they are
the tests' expected values, so they must not import adamlib nor share any code with it.

Rules every transcription follows:

- The docstring cites ``repository @ commit, path`` (or the paper) as quoted in
  ``shared/reference/adam-variants.md`` and lists every adaptation: what had to change to run
  the code in NumPy (tensors become arrays, in-place tensor methods become in-place array
  arithmetic, framework objects become the stand-ins of :mod:`tests.transcriptions.shims`).
- Nothing else changes: the order of statements, where the learning rate is read, which step
  index the schedule sees, and every branch of the transcribed function stay as in the source.
- Where the reference document marks a detail UNVERIFIED, the quoted code is followed.

Modules: :mod:`.papers` (Kingma & Ba, Loshchilov & Hutter), :mod:`.seed_post` (the blog post's
three code blocks), :mod:`.keras`, :mod:`.optax`, :mod:`.mxnet` (1.x and 2.0), :mod:`.bert`,
:mod:`.hf`, :mod:`.fairseq`; :mod:`.problem` is the seeded noisy quadratic the comparisons feed
to both sides.
"""
