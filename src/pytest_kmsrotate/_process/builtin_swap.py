"""Make a C builtin (such as `time.time`) call a Python function, and undo it, in microseconds.

Why not replace `time.time` in the `time` module (what freezegun does)? Then every module that
ran `from time import time` keeps the real one, so freezegun sweeps all of `sys.modules` at each
start and undoes it at each stop: 6-9 ms per test. Here the builtin object itself changes what
it does, so every reference to it (module attribute, `from time import time`, a default argument,
C code calling `time.time`) follows at once, with no sweep. It is the approach of time-machine,
done from Python: the function object's method table pointer is pointed at a table whose C
function is `PyObject_Call`, and its `self` at the Python replacement, so a call becomes
`replacement(*args, **kwargs)`. Exceptions propagate as from any Python function.

Outside a fake every builtin is restored, so code not under a fake runs CPython's own functions.
The layout is checked against the object before it is touched; `supported()` is False on any
interpreter where the check fails (PyPy, free-threaded CPython) and the caller falls back.
Class methods of C types (`datetime.now`) are not function objects; `TypeAttributeSwap` changes
the type's own dictionary instead, so `datetime.datetime` stays the real class.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import sysconfig
from collections.abc import Callable
from typing import Any

_PTR = ctypes.c_void_p
_METH_VARARGS_KEYWORDS = 0x0001 | 0x0002
# PyCFunctionObject: PyObject_HEAD (2 words), m_ml, m_self, m_module, m_weakreflist, vectorcall.
_M_ML, _M_SELF, _VECTORCALL = 2, 3, 6


class _MethodDef(ctypes.Structure):
    _fields_ = (("ml_name", ctypes.c_char_p), ("ml_meth", _PTR), ("ml_flags", ctypes.c_int),
                ("ml_doc", ctypes.c_char_p))


def _api() -> Any:
    api = ctypes.pythonapi
    api.PyCFunction_NewEx.restype = ctypes.py_object
    api.PyCFunction_NewEx.argtypes = (_PTR, ctypes.py_object, ctypes.py_object)
    api.PyType_Modified.argtypes = (ctypes.py_object,)
    api.Py_IncRef.argtypes = (ctypes.py_object,)
    api.Py_DecRef.argtypes = (ctypes.py_object,)
    return api


_SUPPORTED = (sys.implementation.name == "cpython" and not sysconfig.get_config_var("Py_GIL_DISABLED")
              and ctypes.sizeof(_PTR) == 8)
_API: Any = _api() if _SUPPORTED else None
# libc's memmove called like a Python C-API function: ctypes keeps the GIL held for the copy.
_GIL_MEMMOVE: Any = ctypes.PYFUNCTYPE(_PTR, _PTR, _PTR, ctypes.c_size_t)(
    ctypes.cast(ctypes.memmove, _PTR).value or 0) if _SUPPORTED else None


def _slot(obj: object, index: int) -> ctypes.c_void_p:
    return _PTR.from_address(id(obj) + index * ctypes.sizeof(_PTR))


def _layout_matches(func: Any, owner: object) -> bool:
    if not _SUPPORTED or type(func).__name__ != "builtin_function_or_method" or func.__self__ is not owner:
        return False
    table = _slot(func, _M_ML).value
    if not table or _slot(func, _M_SELF).value != id(owner):
        return False
    return bool(_MethodDef.from_address(table).ml_name == func.__name__.encode())


class BuiltinSwap:
    """One builtin function of a module (`owner`) that calls `replacement` while applied."""

    def __init__(self, owner: object, name: str, replacement: Callable[..., Any], func: Any = None) -> None:
        # `func`: the builtin itself, when `owner.name` may be someone else's replacement just now.
        self.func = getattr(owner, name) if func is None else func
        self.owner = owner
        self.replacement = replacement
        self.supported = _layout_matches(self.func, owner)
        self.applied = False
        if self.supported:
            table = _MethodDef.from_address(_slot(self.func, _M_ML).value or 0)
            self._saved = tuple(_slot(self.func, i).value for i in (_M_ML, _M_SELF, _VECTORCALL))
            self._table = _MethodDef(table.ml_name, ctypes.cast(_API.PyObject_Call, _PTR).value,
                                     _METH_VARARGS_KEYWORDS, table.ml_doc)
            # A separate builtin over the untouched method table: CPython's own implementation.
            self.original: Callable[..., Any] = _API.PyCFunction_NewEx(
                self._saved[0], owner, getattr(owner, "__name__", None))
        else:
            self.original = self.func

    def apply(self) -> None:
        if self.applied:
            return
        if self.supported:
            _API.Py_IncRef(self.replacement)  # the function object now refers to it (gc traverses m_self)
            # No fast path (vectorcall NULL): calls go through tp_call, which honours the new table.
            # Fast path first: with vectorcall NULL a call takes tp_call, which reads the table and
            # `self` afresh, so the old pair keeps working until the new pair lands in one write.
            _write_words(self.func, _VECTORCALL, 0)
            _write_words(self.func, _M_ML, ctypes.addressof(self._table), id(self.replacement))
        else:
            setattr(self.owner, self.func.__name__, self.replacement)
        self.applied = True

    def restore(self) -> None:
        if not self.applied:
            return
        if self.supported:
            # The reverse order: CPython's own pair back (still through tp_call), then its fast path.
            table, self_, vectorcall = self._saved
            _write_words(self.func, _M_ML, table or 0, self_ or 0)
            _write_words(self.func, _VECTORCALL, vectorcall or 0)
            _API.Py_DecRef(self.replacement)
        else:
            setattr(self.owner, self.func.__name__, self.func)
        self.applied = False


def _write_words(func: object, index: int, *words: int) -> None:
    """Write consecutive pointer fields of `func`, from field `index` on, in one C call.

    The copy runs while this thread holds the GIL (a PYFUNCTYPE call does not release it), and a
    thread calling `func` runs Python only while holding the GIL, so it sees all of the words
    written or none. m_ml and m_self are adjacent, so the table and its `self` change together.
    (An earlier version raised the switch interval around a read-modify-write of the whole
    40-byte run: a thread that took the GIL meanwhile then kept it for the raised interval, and
    the test that stops fakes while other threads read the time hung.)
    """
    block = (_PTR * len(words))(*words)
    _GIL_MEMMOVE(id(func) + index * ctypes.sizeof(_PTR), ctypes.addressof(block), ctypes.sizeof(block))


class TypeAttributeSwap:
    """One attribute of a C type (`datetime.datetime.now`) replaced in the type's own dictionary."""

    def __init__(self, cls: type, name: str, replacement: object) -> None:
        self.cls = cls
        self.name = name
        self.replacement = replacement
        self.original = cls.__dict__[name]
        self.applied = False

    def _set(self, value: object) -> None:
        if not _SUPPORTED:
            raise RuntimeError("pytest-kmsrotate: simulated time needs CPython (64-bit, with the GIL)")
        namespace: dict[str, object] = gc.get_referents(self.cls.__dict__)[0]
        namespace[self.name] = value
        _API.PyType_Modified(self.cls)  # drop CPython's cached lookups of the old attribute

    def apply(self) -> None:
        if not self.applied:
            self._set(self.replacement)
            self.applied = True

    def restore(self) -> None:
        if self.applied:
            self._set(self.original)
            self.applied = False


def supported() -> bool:
    return _SUPPORTED
