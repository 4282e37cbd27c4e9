"""Debiased elastic group lasso (DEGL) over the analyzer's coupled channel groups.

A group g is one channel component of the analysis: every weight slice that must shrink with the
channel, across all layers (producer filters, BN parameters, consumer slices). With
``theta_g`` the concatenation of those slices and ``p_g`` their total size:

    penalty = lambda_group * sum_g sqrt(p_g) * ||theta_g||_2 + lambda_l2 * ||theta||_2^2

:meth:`GroupLasso.prox` applies the group soft-threshold (the proximal operator of the first term),
which sets whole groups exactly to zero. ``directed=True`` (DWGL) scales each group's coefficient by
its rank in a channel ordering inside its coupled group, so the channels to remove are pushed to
zero consistently across every branch of a residual sum.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..analysis import Analysis


@dataclass
class _Member:
    key: str                   # parameter key in the OnnxModule
    axis: int
    groups: torch.Tensor       # group index of every slice along ``axis`` (-1: not penalised)


class GroupLasso:
    """The DEGL penalty and proximal step for the parameters of an OnnxModule."""

    def __init__(self, analysis: Analysis, module, groups: np.ndarray, *, weights: np.ndarray | None = None):
        """``groups``: component ids to penalise (usually every prunable component); ``weights``:
        an extra coefficient per penalised group (DWGL), default 1."""
        self.n = len(groups)
        index = {int(c): i for i, c in enumerate(groups)}
        self.members: list[_Member] = []
        sizes = np.zeros(self.n)
        for sl in analysis.slices:
            if sl.tensor not in module.parameter_names or not module.parameter(sl.tensor).requires_grad:
                continue
            comps = analysis.component[analysis.ids(sl.space)][: sl.period or None]
            g = np.array([index.get(int(c), -1) for c in comps])
            if (g < 0).all():
                continue
            param = module.parameter(sl.tensor)
            per_slice = param.numel() // param.shape[sl.axis]
            np.add.at(sizes, g[g >= 0], per_slice)
            self.members.append(_Member(module._names[sl.tensor], sl.axis, torch.from_numpy(g)))
        coef = np.sqrt(np.maximum(sizes, 1)) * (1.0 if weights is None else np.asarray(weights))
        self.coef = torch.from_numpy(coef)
        self.module = module

    def group_norms(self) -> torch.Tensor:
        """||theta_g||_2 for every penalised group (differentiable; 1e-12 for an all-zero group)."""
        return torch.sqrt(self.squared_norms() + 1e-24)

    def squared_norms(self) -> torch.Tensor:
        """||theta_g||_2^2, exact (0 for a zeroed group)."""
        sq = torch.zeros(self.n, dtype=torch.float64)
        for m in self.members:
            p = self.module.weights[m.key]
            others = [d for d in range(p.dim()) if d != m.axis]
            per = (p.pow(2).sum(dim=others) if others else p.pow(2)).to(torch.float64)
            keep = m.groups >= 0
            sq = sq.index_add(0, m.groups[keep], per[keep])
        return sq

    def penalty(self, lambda_group: float, lambda_l2: float = 0.0) -> torch.Tensor:
        total = lambda_group * (self.coef * self.group_norms()).sum()
        if lambda_l2:
            total = total + lambda_l2 * sum(p.pow(2).sum() for p in self.module.parameters() if p.requires_grad)
        return total

    @torch.no_grad()
    def prox(self, step: float) -> None:
        """theta_g <- theta_g * max(0, 1 - step * coef_g / ||theta_g||): exact zeros for small groups."""
        scale = torch.clamp(1 - step * self.coef / self.group_norms(), min=0.0)
        for m in self.members:
            p = self.module.weights[m.key]
            s = torch.ones(p.shape[m.axis], dtype=torch.float64)
            keep = m.groups >= 0
            s[keep] = scale[m.groups[keep]]
            shape = [1] * p.dim()
            shape[m.axis] = -1
            p.mul_(s.to(p.dtype).reshape(shape))

    def zero_groups(self) -> torch.Tensor:
        """Indices (into ``groups``) of the groups whose every weight is exactly zero."""
        return torch.nonzero(self.squared_norms() == 0).reshape(-1)


def directed_weights(analysis: Analysis, scores: np.ndarray, groups: np.ndarray, growth: float = 1.0) -> np.ndarray:
    """DWGL: inside every analysis group (channels coupled by element-wise ops), a channel's
    coefficient grows with its rank from most to least important: 1 + growth * rank / (n - 1)."""
    position = {int(c): i for i, c in enumerate(groups)}
    out = np.ones(len(groups))
    for g in analysis.groups:
        members = [int(c) for c in g.components if int(c) in position]
        if len(members) < 2:
            continue
        order = sorted(members, key=lambda c: -scores[c])
        for rank, c in enumerate(order):
            out[position[c]] = 1.0 + growth * rank / (len(order) - 1)
    return out
