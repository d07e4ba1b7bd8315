"""Gradient-boosted trees for the detector, trained in plain numpy (no framework to install).

Why trees next to the MLP: a held-out group's features fall outside what training saw (a hum
nobody heard, a package's quiet mix); an MLP's tanh units extrapolate along their slopes, a
tree's leaf stays at the value of the nearest region it was fitted on. Whether that holds
better is measured by ``evaluate.py logo --model gbdt`` on the same held-out groups.

Histogram boosting with the logistic loss: each feature is cut into at most ``BINS`` quantile
bins on the training rows; a tree of depth ``DEPTH`` grows level by level, every node taking the
split of largest second-order gain (gradient / hessian sums per bin, one ``bincount`` for all
features at once); leaves are Newton steps with L2 ``LAMBDA``, shrunk by ``RATE``. Trees are
stored complete (2^depth - 1 nodes, a node that does not split sends every row left), so the
engine predicts all trees at once with a few gathers (``classifier.TreeEnsemble``).
"""

from __future__ import annotations

import numpy as np

from cuesheet_app.identify.local.classifier import TreeEnsemble

BINS = 64
DEPTH = 4
TREES = 160
RATE = 0.1
LAMBDA = 5.0
SUBSAMPLE = 0.5
MIN_HESS = 20.0  # a child with less hessian (~ weighted rows / 4) is not split off


def _bin_edges(x: np.ndarray) -> list[np.ndarray]:
    qs = np.linspace(0, 1, BINS + 1)[1:-1]
    return [np.unique(np.quantile(x[:, f], qs)) for f in range(x.shape[1])]


def train_gbdt(x: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int) -> TreeEnsemble:
    """Boosted trees on rows ``x`` (n, features), labels ``y`` 0/1, row weights ``w``
    (class-balanced here as ``train_mlp`` balances them)."""
    rng = np.random.default_rng(seed)
    n, nf = x.shape
    pos, neg = (w * y).sum(), (w * (1 - y)).sum()
    w = w * np.where(y > 0.5, 0.5 / max(pos, 1), 0.5 / max(neg, 1)) * n
    edges = _bin_edges(x)
    xb = np.stack([np.searchsorted(e, x[:, f], side="right") for f, e in enumerate(edges)], axis=1).astype(np.int32)
    xb_flat = xb + (np.arange(nf) * BINS).astype(np.int32)  # a row's bin of feature f at f * BINS + bin
    all_rows = np.arange(n)
    base = float(np.log(max(1e-6, (w * y).sum()) / max(1e-6, (w * (1 - y)).sum())))
    raw = np.full(n, base)
    n_inner, n_leaf = 2**DEPTH - 1, 2**DEPTH
    feats = np.zeros((TREES, n_inner), np.int32)
    thrs = np.full((TREES, n_inner), np.inf, np.float32)
    cut = np.full((TREES, n_inner), BINS, np.int32)  # the split as a bin index (right: bin > cut)
    leaves = np.zeros((TREES, n_leaf), np.float32)
    for t in range(TREES):
        p = 1 / (1 + np.exp(-raw))
        g, h = w * (p - y), w * np.maximum(p * (1 - p), 1e-6)
        rows = np.flatnonzero(rng.random(n) < SUBSAMPLE)
        node_of = np.zeros(rows.size, np.int64)  # index within the current level
        x_rows = xb_flat[rows]
        for depth in range(DEPTH):
            first = 2**depth - 1
            n_nodes = 2**depth
            flat = x_rows.ravel() + np.repeat(node_of * nf * BINS, nf) if depth else x_rows.ravel()
            size = n_nodes * nf * BINS
            gh = np.bincount(flat, weights=np.repeat(g[rows], nf), minlength=size).reshape(n_nodes, nf, BINS)
            hh = np.bincount(flat, weights=np.repeat(h[rows], nf), minlength=size).reshape(n_nodes, nf, BINS)
            gl, hl = np.cumsum(gh, axis=2)[:, :, :-1], np.cumsum(hh, axis=2)[:, :, :-1]
            gt, ht = gh.sum(axis=2)[:, :, None], hh.sum(axis=2)[:, :, None]
            gain = gl**2 / (hl + LAMBDA) + (gt - gl) ** 2 / (ht - hl + LAMBDA) - gt**2 / (ht + LAMBDA)
            gain[(hl < MIN_HESS) | (ht - hl < MIN_HESS)] = -1.0
            go_right = np.zeros(rows.size, bool)
            for k in range(n_nodes):
                best = int(np.argmax(gain[k]))
                f, b = divmod(best, BINS - 1)
                if gain[k, f, b] <= 1e-9 or b >= len(edges[f]):
                    continue  # no useful split: every row goes left
                feats[t, first + k] = f
                thrs[t, first + k] = edges[f][b]  # right: value >= edge (bin index > b)
                cut[t, first + k] = b
                here = node_of == k
                go_right[here] = xb[rows[here], f] > b
            node_of = 2 * node_of + go_right
        gs = np.bincount(node_of, weights=g[rows], minlength=n_leaf)
        hs = np.bincount(node_of, weights=h[rows], minlength=n_leaf)
        leaves[t] = -RATE * gs / (hs + LAMBDA)
        # every row's leaf from its bins (value >= edge[b] exactly when bin > b): the same leaf
        # TreeEnsemble.raw finds from the values, without gathering float rows per tree
        leaf = np.zeros(n, np.int64)
        for depth in range(DEPTH):
            node = 2**depth - 1 + leaf
            leaf = 2 * leaf + (xb[all_rows, feats[t, node]] > cut[t, node])
        raw += leaves[t, leaf]
    return TreeEnsemble(feats, thrs, leaves, base)
