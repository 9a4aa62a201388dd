"""The one exception every failed call into student code surfaces as."""


class StudentError(Exception):
    """A call into student code that produced no value.

    ``kind`` is one of ``timeout``, ``crash``, ``missing``, ``not_implemented``,
    ``import_error``, ``missing_function``, ``exception``, ``protocol``, ``error``.
    """

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind, self.message = kind, message
