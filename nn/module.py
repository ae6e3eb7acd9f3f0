"""Module: the base of layers and models.

Attributes that are Parameters or Modules register themselves on assignment
(``__setattr__`` files them into ordered dicts), so ``parameters()`` can walk
the tree. ``named_parameters`` keeps a memo so a Parameter shared or tied
between modules is yielded once, under its first name.
"""
from collections import OrderedDict

import numpy as np

from minigrad.tensor import Tensor

from .parameter import Parameter


class Module:
    """Base class: subclass it, assign layers/Parameters in ``__init__``, write ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------- registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() "
                                 f"before assigning '{name}'")
        for store in (self._parameters, self._modules, self._buffers):
            store.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
            self.__dict__.pop(name, None)
        elif isinstance(value, Module):
            self._modules[name] = value
            self.__dict__.pop(name, None)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_modules", "_buffers"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._modules, self._buffers):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name, array):
        """Register non-learnable state (e.g. BatchNorm's running mean) saved in state_dict."""
        if array is not None:
            array = np.asarray(array.data if isinstance(array, Tensor) else array)
        self.__dict__.pop(name, None)
        self._buffers[name] = array

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: expected a Parameter for '{name}', "
                            f"got {type(param).__name__}")
        self._parameters[name] = param

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: expected a Module for '{name}', "
                            f"got {type(module).__name__}")
        self._modules[name] = module

    # ------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix=""):
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix="", recurse=True):
        """(name, Parameter) pairs in registration order, each distinct Parameter once."""
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mp}.{name}" if mp else name), p

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix=""):
        for mp, m in self.named_modules(prefix=prefix):
            for name, b in m._buffers.items():
                if b is not None:
                    yield (f"{mp}.{name}" if mp else name), b

    def buffers(self):
        for _, b in self.named_buffers():
            yield b

    # --------------------------------------------------------------- modes
    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad[...] = 0

    def requires_grad_(self, flag=True):
        """Freeze (False) or unfreeze every parameter of this module."""
        for p in self.parameters():
            p.requires_grad = flag
        return self

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule (children first) and self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, dtype):
        """Cast floating parameters and buffers to ``dtype`` in place; returns self."""
        dtype = np.dtype(dtype)
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None:
                    p.data = p.data.astype(dtype)
                    if p.grad is not None:
                        p.grad = p.grad.astype(dtype)
            for k, b in m._buffers.items():
                if b is not None and b.dtype.kind == "f":
                    m._buffers[k] = b.astype(dtype)
        return self

    # ----------------------------------------------------------- state dict
    def _state_items(self):
        """(key, owner module, local name, kind) for every parameter and buffer, once each."""
        seen = set()
        for mp, m in self.named_modules():
            for name, p in m._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mp}.{name}" if mp else name), m, name, "param"
            for name, b in m._buffers.items():
                if b is not None:
                    yield (f"{mp}.{name}" if mp else name), m, name, "buffer"

    def state_dict(self):
        """name -> np.ndarray (a copy) for every parameter and buffer."""
        out = OrderedDict()
        for key, m, name, kind in self._state_items():
            v = m._parameters[name].data if kind == "param" else m._buffers[name]
            out[key] = np.array(v, copy=True)
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from ``state_dict`` into parameters and buffers.

        Every key and shape is checked before anything is written, so a failed
        load leaves the module unchanged. Returns (missing_keys, unexpected_keys).
        """
        items = list(self._state_items())
        own = {k for k, *_ in items}
        given = set(state_dict)
        missing = [k for k, *_ in items if k not in given]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        plan = []
        for key, m, name, kind in items:
            if key not in given:
                continue
            value = state_dict[key]
            arr = np.asarray(value.data if isinstance(value, Tensor) else value)
            cur = m._parameters[name].data if kind == "param" else m._buffers[name]
            if arr.shape != cur.shape:
                problems.append(f"'{key}': expected shape {cur.shape}, got {arr.shape}")
                continue
            if arr.dtype.kind not in "biuf":
                problems.append(f"'{key}': expected a numeric array, got dtype {arr.dtype}")
                continue
            plan.append((m, name, kind, arr.astype(cur.dtype, copy=True)))
        if problems:
            raise ValueError(f"{type(self).__name__}.load_state_dict: " + "; ".join(problems))
        for m, name, kind, arr in plan:
            if kind == "param":
                m._parameters[name].data = arr
            else:
                m._buffers[name] = arr
        return missing, unexpected

    # ----------------------------------------------------------------- repr
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ")
                 for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
