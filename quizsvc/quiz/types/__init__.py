"""Question types, one module each. The registry imports every module here; a module declares
its type with ``@question_type`` (modules without one, like ``choice``, hold shared code)."""
