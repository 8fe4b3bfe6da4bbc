"""The jobs and their actors: each job is a plain function over a ``Runtime``
(:mod:`.publish`, :mod:`.write`, :mod:`.insights`, :mod:`.update`, :mod:`.rewrite`,
:mod:`.catalog_run`); :mod:`.actors` declares the Dramatiq actors that decode a message and
call one."""
