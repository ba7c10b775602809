"""A lean block LOBPCG kernel for tall-skinny blocks (issue 19).

SciPy's :func:`scipy.sparse.linalg.lobpcg` spends most of its time in its own
dense block arithmetic (measured on a 10⁶-node graph Laplacian: 8.4 s of 14.3 s
for the Fiedler pair, ~57 s of 103 s for a block of 12), and it stops only when
the whole block has converged.  :func:`block_lobpcg` is the same method
(Knyazev 2001, with SciPy's soft locking: only the unconverged columns bring a
preconditioned residual ``W`` and a search direction ``P``) written for speed:

* Rayleigh–Ritz on ``span[X, W, P]`` blockwise: the Gram blocks ``Xᴴ A W``,
  ``Wᴴ A W``, ... are small products, and the new ``X, AX, BX, P, AP, BP`` are
  sums of block products written into recycled buffers; no ``n``-row array is
  stacked, and the only copy is ``R[:, active]`` once some columns have converged.
  The Gram blocks of ``X`` and ``P`` with each other come from the last
  Rayleigh–Ritz step (until the residuals are small, then explicitly).
* The B-orthonormalization of ``W`` (Cholesky, else an eigendecomposition that
  drops near-dependent directions) and of ``P`` is folded into the small
  coefficient matrices: no pass over ``n`` rows is spent scaling blocks.
* The tall-skinny products run in row blocks of :data:`_ROWS` rows, one batched
  ``matmul`` call each (OpenBLAS's ``Uᴴ V`` with ``n`` = 10⁶ rows runs at half
  speed otherwise), and column scalings broadcast over rows of ``_ROWS · p``.
* It stops as soon as the ``k`` wanted pairs meet ``tol``, extra vectors or not.

References
----------
A. V. Knyazev, Toward the optimal preconditioned eigensolver: locally optimal
block preconditioned conjugate gradient method, SIAM J. Sci. Comput. 23 (2001).
U. Hetmaniuk, R. Lehoucq, Basis selection in LOBPCG, J. Comput. Phys. 218 (2006).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as la

from ...errors import InputValueError, ShapeError

__all__ = ["block_lobpcg"]

#: Rows per block of the tall-skinny products.  Measured on this machine (one OpenBLAS
#: thread, n = 10⁶): ``Uᵀ V`` for 12 columns took 23 ms in one call and 12 ms in blocks of
#: 1,024 rows (24 columns: 75 ms against 39 ms); ``U S`` 16 ms against 13 ms.  Blocks of
#: 4,096 rows lose the gain from 24 columns on (the block no longer sits in the 1 MiB L2).
_ROWS = 1024

#: A Cholesky factor whose squared pivot, relative to the diagonal entry, falls below this
#: marks a basis vector within an angle of 1e-4 of the span of the others: ``W`` is then
#: orthonormalized by an eigendecomposition that drops such directions, and a
#: Rayleigh–Ritz basis ``[X, W, P]`` drops ``P`` (a restart).  It bounds the basis'
#: condition number by about 1e4, so its assumed orthonormality holds to ~1e-8.
_DEPENDENT = 1e-8

#: The Gram blocks that hold by construction (``Xᴴ B X = I``, ``Xᴴ A X = Λ``,
#: ``Xᴴ B W = 0``, ...) are computed explicitly, and from then on, once a residual falls
#: below ``sqrt(eps)`` times the spectral scale seen so far (SciPy's rule, made relative).
_EXPLICIT = float(np.sqrt(np.finfo(float).eps))

#: A column that keeps less than this fraction of its B-norm through the projections
#: on ``Y`` and ``X`` is rounding noise (at least 2e-6 of it lies back in their span):
#: it is left out of the basis rather than normalized up.
_NOISE = 1e-10


# --------------------------------------------------------------------------- row-blocked BLAS


def _rgram(U, V):
    """``Uᵀ V`` of real C-contiguous ``(n, p)``, ``(n, q)`` blocks, in row blocks."""
    n = U.shape[0]
    nb = n // _ROWS
    cut = nb * _ROWS
    G = U[cut:].T @ V[cut:]
    if nb:
        G += np.matmul(U[:cut].reshape(nb, _ROWS, -1).transpose(0, 2, 1),
                       V[:cut].reshape(nb, _ROWS, -1)).sum(axis=0)
    return G


def _gram(U, V):
    """``Uᴴ V`` (small); a complex product through the real views, without a conjugate copy."""
    if not np.iscomplexobj(U):
        return _rgram(U, V)
    G = _rgram(U.view(np.float64), V.view(np.float64))  # columns (re, im) interleaved
    return (G[0::2, 0::2] + G[1::2, 1::2]) + 1j * (G[0::2, 1::2] - G[1::2, 0::2])


def _times(U, S, out):
    """``out = U S`` for a tall ``U`` and a small ``S``, in row blocks; returns ``out``."""
    n = U.shape[0]
    nb = n // _ROWS
    cut = nb * _ROWS
    S = np.ascontiguousarray(S, dtype=out.dtype)
    if nb:
        np.matmul(U[:cut].reshape(nb, _ROWS, -1), S, out=out[:cut].reshape(nb, _ROWS, -1))
    np.matmul(U[cut:], S, out=out[cut:])
    return out


def _residual(AX, BX, lam, out):
    """``out = AX − BX diag(lam)`` and its column norms.

    ``BX * lam`` on an ``(n, m)`` block with small ``m`` runs numpy's inner loop ``m``
    entries long; viewed as rows of ``_ROWS · m`` entries it runs at memory speed
    (measured: 0.54 ms against 0.05 ms for n = 90,000, m = 2).
    """
    n, m = AX.shape
    nb = n // _ROWS
    cut = nb * _ROWS
    lam = lam.astype(out.dtype)
    if nb:
        o = out[:cut].reshape(nb, _ROWS * m)
        np.multiply(BX[:cut].reshape(nb, _ROWS * m), np.tile(lam, _ROWS), out=o)
        np.subtract(AX[:cut].reshape(nb, _ROWS * m), o, out=o)
    np.multiply(BX[cut:], lam, out=out[cut:])
    np.subtract(AX[cut:], out[cut:], out=out[cut:])
    v = out.view(np.float64).reshape(n, -1) if np.iscomplexobj(out) else out
    w = v.shape[1]
    sq = np.einsum("ij,ij->j", v[cut:], v[cut:])
    if nb:
        long = v[:cut].reshape(nb, _ROWS * w)
        sq += np.einsum("ij,ij->j", long, long).reshape(_ROWS, w).sum(axis=0)
    if v is not out:
        sq = sq[0::2] + sq[1::2]
    return np.sqrt(sq)


# --------------------------------------------------------------------------- small matrices


def _hermitian(G):
    return 0.5 * (G + G.conj().T)


def _chol_inverse(G):
    """``L⁻¹`` for the Cholesky factor ``G = L Lᴴ`` of a Hermitian Gram matrix, or None.

    None unless ``G`` is numerically positive definite: every squared pivot at
    least ``_DEPENDENT`` times its diagonal entry (no basis vector within an
    angle of 1e-4 of the span of the ones before it).
    """
    try:
        L = np.linalg.cholesky(G)
    except np.linalg.LinAlgError:
        return None
    if not np.all(L.diagonal().real ** 2 >= _DEPENDENT * G.diagonal().real):
        return None  # also for NaN
    Linv, info = la.lapack.get_lapack_funcs("trtri", (L,))(L, lower=1)
    return Linv if info == 0 else None


def _normalizer(G, drop: bool, before=None):
    """``D`` with ``Dᴴ G D = I`` for the Gram matrix ``G`` of a block, or None.

    Cholesky (``D = L⁻ᴴ``) while the block is well conditioned; else, with
    ``drop``, an eigendecomposition of the diagonally scaled ``G`` keeping the
    directions above ``_DEPENDENT`` times the largest (``D`` has fewer
    columns, maybe none); without ``drop``, None.  ``before``: the columns'
    squared B-norms before a projection; a column that kept less than
    ``_NOISE`` of its norm is rounding noise, and ``D`` leaves it out.  Raises
    ``LinAlgError`` when ``G`` is clearly indefinite (``B`` is not positive definite).
    """
    G = _hermitian(G)
    d = G.diagonal().real
    noise = np.zeros(len(d), bool) if before is None else d <= _NOISE ** 2 * before
    if not noise.any():
        Linv = _chol_inverse(G)
        if Linv is not None:
            return Linv.conj().T
    if not drop:
        return None
    s = np.zeros_like(d)
    ok = (d != 0) & ~noise
    s[ok] = 1.0 / np.sqrt(np.abs(d[ok]))
    ev, E = np.linalg.eigh(s[:, None] * G * s[None, :])
    if ev.size and ev[0] < -_DEPENDENT * max(float(ev[-1]), 1.0):
        raise np.linalg.LinAlgError("a B-Gram matrix is indefinite: B must be Hermitian "
                                    f"positive definite (eigenvalue {ev[0]:.3g})")
    good = ev > _DEPENDENT * max(float(ev[-1]), 0.0)
    return (s[:, None] * E[:, good]) / np.sqrt(ev[good])


def _sq_cols(S):
    """Squared column norms of a small coefficient matrix (0 for None)."""
    return 0.0 if S is None else np.einsum("ij,ij->j", S.conj(), S).real


def _rayleigh_ritz(GA, GB, m: int, largest: bool):
    """``(all Ritz values, the m wanted, their coefficients C)`` of ``GA c = θ GB c``, or None.

    None when ``GB`` is not numerically positive definite (:func:`_chol_inverse`).
    ``Cᴴ GB C = I``.
    """
    Linv = _chol_inverse(_hermitian(GB))
    if Linv is None:
        return None
    theta, V = np.linalg.eigh(_hermitian(Linv @ GA @ Linv.conj().T))
    pick = np.arange(len(theta) - 1, len(theta) - m - 1, -1) if largest else np.arange(m)
    return theta, theta[pick], Linv.conj().T @ V[:, pick]


def _assemble(rows):
    """A matrix from a block-upper-triangular list of rows (its lower part the Hermitian mirror)."""
    sizes = [r[0].shape[0] for r in rows]
    off = np.concatenate([[0], np.cumsum(sizes)])
    G = np.empty((off[-1], off[-1]), dtype=np.result_type(*[b for r in rows for b in r]))
    for i, r in enumerate(rows):
        for j, b in enumerate(r, start=i):
            G[off[i]:off[i + 1], off[j]:off[j + 1]] = b
            if j > i:
                G[off[j]:off[j + 1], off[i]:off[i + 1]] = b.conj().T
    return G


# --------------------------------------------------------------------------- the block state


class _Block:
    """The operators, the ``n``-row blocks and their spare buffers.

    Memory, in ``n × m`` arrays: alive between iterations ``X, AX, BX, P,
    AP, BP``, the residual ``R`` and two spare buffers, 9 (7 without ``B``:
    ``BX`` is then ``X`` and ``BP`` is ``P``).  During an iteration add ``W,
    AW, BW`` (``n × a``, ``a`` the unconverged columns; ``BW`` is ``W``
    without ``B``), what ``T`` allocates, and ``R[:, active]`` and a
    projection temporary (``n × a``) when ``a < m``: 12 at the peak with
    ``B``, 9 without (SciPy's peak is higher: its ``X W P`` Gram blocks and
    masked copies are new arrays every iteration).  Every new block is
    written into a spare and the block it replaces becomes the next spare,
    so an iteration allocates no ``n × m`` array of its own.
    """

    def __init__(self, A, B, T, n: int, m: int, dtype):
        self.A, self.B, self.T = A, B, T
        self.n, self.m, self.dtype = n, m, np.dtype(dtype)
        self.spares: list[np.ndarray] = []
        self.R = np.empty((n, m), self.dtype)
        self.P = self.AP = self.BP = None
        # the last Rayleigh-Ritz step's Gram matrices and coefficients (GA, GB, C)
        self.prev: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def apply(self, op, V, name: str):
        """``op @ V`` as a C-contiguous block of this dtype (``V`` itself for ``op=None``)."""
        if op is None:
            return V
        out = op @ V
        out = np.asarray(out.toarray() if hasattr(out, "toarray") else out)
        if out.shape != V.shape:
            raise ShapeError(f"{name} @ V must have the shape of V {V.shape} "
                             f"(got {out.shape}); pass an (n, n) operator that takes blocks")
        if np.result_type(out.dtype, self.dtype) != self.dtype:
            raise InputValueError(f"{name} @ V returned {out.dtype} for a {self.dtype} "
                                  "problem; pass a complex start block X for a complex operator")
        return np.ascontiguousarray(out, dtype=self.dtype)

    def spare(self) -> np.ndarray:
        return self.spares.pop() if self.spares else np.empty((self.n, self.m), self.dtype)

    def release(self, *arrays) -> None:
        for a in arrays:
            if a is not None and a.shape == (self.n, self.m) and a.flags.c_contiguous \
                    and a is not self.R and len(self.spares) < 2:
                self.spares.append(a)

    def combine(self, U, CU, V, CV):
        """``U CU + V CV`` (``V`` may be None) in a spare buffer."""
        out = _times(U, CU, self.spare())
        if CV is not None:
            tmp = _times(V, CV, self.spare())
            out += tmp
            self.release(tmp)
        return out

    def set_x(self, X, AX, BX, lam):
        self.X, self.AX, self.BX, self.lam = X, AX, (X if self.B is None else BX), lam

    def residual(self):
        return _residual(self.AX, self.BX, self.lam, self.R)

    def refresh(self) -> None:
        """``AX`` and ``BX`` recomputed from ``X`` (the carried ones drift by rounding)."""
        AX, BX = self.apply(self.A, self.X, "A"), self.apply(self.B, self.X, "B")
        self.release(self.AX, None if self.B is None else self.BX)
        self.set_x(self.X, AX, BX, self.lam)


def _project(W, Q, BQ):
    """``W ← W − Q (BQᴴ W)`` in place; returns ``BQᴴ W`` (None without constraints).

    ``BQ`` is the B-image of the B-orthonormal ``Q``.
    """
    if Q is None:
        return None
    S = _gram(BQ, W)
    W -= _times(Q, S, np.empty_like(W))
    return S


def _constraints(Y, B, blk: _Block):
    """``(Q, BQ)``: a B-orthonormal basis of ``span(Y)`` and its B-image.

    Dependent columns of ``Y`` are dropped (the span is what constrains).
    """
    if Y is None or np.shape(Y)[1] == 0:
        return None, None
    Y = np.ascontiguousarray(Y, dtype=blk.dtype)
    BY = blk.apply(B, Y, "B")
    D = _normalizer(_gram(Y, BY), drop=True)
    if D.shape[1] == 0:
        return None, None
    return Y @ D, (Y @ D if B is None else BY @ D)


def _start(blk: _Block, X0, Q, BQ, largest: bool):
    """The start: ``X0`` B-orthogonal to the constraints, B-orthonormal, Rayleigh–Ritz'ed.

    Directions of ``X0`` that are dependent (two equal columns, or a column in
    ``span(Y)``) are replaced by seeded random ones, projected and orthonormalized
    the same way.
    """
    n, m = blk.n, blk.m
    rng = np.random.default_rng(0)
    X = np.array(X0, dtype=blk.dtype, order="C", copy=True)
    for _ in range(4):
        G = _gram(X, blk.apply(blk.B, X, "B"))
        before = G.diagonal().real.copy()
        S = _project(X, Q, BQ)
        if S is not None:
            G = _gram(X, blk.apply(blk.B, X, "B"))
        D = _normalizer(G, drop=True, before=before)
        if D.shape[1] == m:
            break
        # X D spans the independent part; the missing directions are random
        fill = rng.standard_normal((n, m - D.shape[1]))
        if blk.dtype.kind == "c":
            fill = fill + 1j * rng.standard_normal(fill.shape)
        X = np.concatenate([X @ D, fill], axis=1).astype(blk.dtype, copy=False)
    if D.shape[1] < m:
        raise np.linalg.LinAlgError(f"cannot build {m} B-orthonormal start vectors "
                                    f"B-orthogonal to Y in dimension n={n}: is B positive "
                                    "definite?")
    X = np.ascontiguousarray(X @ D)
    AX, BX = blk.apply(blk.A, X, "A"), blk.apply(blk.B, X, "B")
    out = _rayleigh_ritz(_hermitian(_gram(X, AX)), _gram(X, BX), m, largest)
    if out is None:
        raise np.linalg.LinAlgError("B is not positive definite on the start block")
    _, lam, C = out
    blk.set_x(_times(X, C, blk.spare()), _times(AX, C, blk.spare()),
              None if blk.B is None else _times(BX, C, blk.spare()), lam)


def _w_blocks(blk: _Block, W, AW, BW, explicit: bool, projected):
    """The Gram blocks of ``[X, W D_W]`` (upper rows, A and B), and ``D_W``; or None.

    None: no new direction (``W`` numerically in ``span(X)``).

    ``W D_W`` is ``W`` B-orthonormalized, never formed: ``D_W`` scales the small
    blocks here and the coefficients later.  Outside explicit mode the blocks
    that hold by construction are taken as such: ``Xᴴ A X = Λ``, ``Xᴴ B X = I``,
    ``Xᴴ B W = 0``, ``(W D_W)ᴴ B (W D_W) = I``.
    """
    X, m, dt = blk.X, blk.m, blk.dtype
    WBW = _gram(W, BW)
    DW = _normalizer(WBW, drop=True, before=WBW.diagonal().real + projected)
    if DW.shape[1] == 0:
        return None
    DWh = DW.conj().T
    XW_A, WW_A = _gram(X, AW) @ DW, DWh @ _hermitian(_gram(W, AW)) @ DW
    if explicit:
        XX_A, XX_B = _hermitian(_gram(X, blk.AX)), _hermitian(_gram(X, blk.BX))
        XW_B, WW_B = _gram(X, BW) @ DW, DWh @ WBW @ DW
    else:
        XX_A, XX_B = np.diag(blk.lam).astype(dt), np.eye(m, dtype=dt)
        XW_B, WW_B = np.zeros((m, DW.shape[1]), dt), np.eye(DW.shape[1], dtype=dt)
    return [[XX_A, XW_A], [WW_A]], [[XX_B, XW_B], [WW_B]], DW


def _p_blocks(blk: _Block, act, W, DW, explicit: bool):
    """The Gram blocks ``(X-P, W-P, P-P)`` of ``P D_P`` (A and B), and ``D_P``; or None.

    ``P`` is the search block's columns ``act``, B-orthonormalized by ``D_P``
    (never formed).  Outside explicit mode, ``Pᴴ B P``, ``Pᴴ A P``, ``Xᴴ A P``
    and ``Xᴴ B P`` come from the last Rayleigh–Ritz step (``X`` and ``P`` are
    combinations of its basis, whose Gram matrices it holds), not from passes
    over ``n`` rows.  None when ``P`` is not numerically B-positive definite
    (the iteration then restarts without it).
    """
    if blk.P is None:
        return None
    X = blk.X
    if explicit:
        PBP = _gram(blk.P, blk.BP)[np.ix_(act, act)]
    else:
        GA, GB, C = blk.prev  # X = Z C, P = Z C' (C without its X rows), Z the last basis
        Cp = np.zeros((C.shape[0], len(act)), blk.dtype)
        Cp[blk.m:] = C[blk.m:, act]
        PBP = Cp.conj().T @ GB @ Cp
    DP = _normalizer(PBP, drop=False)
    if DP is None:
        return None
    DPh, DWh = DP.conj().T, DW.conj().T
    if explicit:
        XP_A, XP_B = _gram(X, blk.AP)[:, act] @ DP, _gram(X, blk.BP)[:, act] @ DP
        PP_A = DPh @ _hermitian(_gram(blk.P, blk.AP)[np.ix_(act, act)]) @ DP
        PP_B = DPh @ PBP @ DP
    else:
        XP_A, XP_B = C.conj().T @ GA @ Cp @ DP, C.conj().T @ GB @ Cp @ DP
        PP_A = DPh @ _hermitian(Cp.conj().T @ GA @ Cp) @ DP
        PP_B = np.eye(DP.shape[1], dtype=blk.dtype)
    WP_A = DWh @ _gram(W, blk.AP)[:, act] @ DP
    WP_B = DWh @ _gram(W, blk.BP)[:, act] @ DP
    return (XP_A, WP_A, PP_A), (XP_B, WP_B, PP_B), DP


def _step(blk: _Block, act, Q, BQ, explicit: bool, largest: bool):
    """One LOBPCG iteration on the unconverged columns ``act``; all Ritz values, or None.

    None: the preconditioned residuals lie in ``span(X, Y)`` (no new direction).

    Passes over ``n``-row blocks, each the read or the write of one ``n × m``
    block (``B`` given, every column unconverged, outside explicit mode); the
    caller's residual ``AX − BX Λ`` and its norms: 6.  Here: the projection on
    ``Y`` 5 (``c`` constraint columns add ``2c/m``), on ``X`` 7; the Gram
    products ``Wᴴ B W``, ``Xᴴ A W``, ``Wᴴ A W``, ``Wᴴ A P``, ``Wᴴ B P`` 10 (explicit
    mode: ``Xᴴ A X``, ``Xᴴ B X``, ``Xᴴ B W``, ``Pᴴ B P``, ``Xᴴ A P``, ``Xᴴ B P``,
    ``Pᴴ A P`` add 14); ``P, AP, BP`` 7 each and ``X, AX, BX`` 5 each.  In all
    64 (78 explicit), 52 without ``B``.  SciPy's ``lobpcg`` makes about 103:
    masked copies of ``R, P, AP, BP`` every iteration, ``P`` re-normalized in
    ``n`` rows, and the Gram products with ``X`` and ``P`` that are known here
    from the last Rayleigh–Ritz step.  The products run in row blocks that
    stay in cache (:data:`_ROWS`).
    """
    m, n = blk.m, blk.n
    full = len(act) == m
    # 1. W: the preconditioned residuals of the unconverged columns
    Ract = blk.R if full else np.ascontiguousarray(blk.R[:, act])
    W = blk.apply(blk.T, Ract, "T")
    if not W.flags.writeable or (W is not Ract and np.shares_memory(W, blk.R)):
        W = W.copy()
    # 2. B-orthogonal to the constraints, then to X
    SY = _project(W, Q, BQ)
    SX = _gram(blk.BX, W)
    tmp = blk.spare() if full else np.empty((n, len(act)), blk.dtype)
    W -= _times(blk.X, SX, tmp)
    blk.release(tmp)
    projected = _sq_cols(SY) + _sq_cols(SX)  # Pythagoras: W's B-norm before = after + this
    # 3. the iteration's one A-product and one B-product
    AW, BW = blk.apply(blk.A, W, "A"), blk.apply(blk.B, W, "B")
    # 4. Rayleigh–Ritz on [X, W, P], blockwise; without P if that basis is not B-definite
    got = _w_blocks(blk, W, AW, BW, explicit, projected)
    if got is None:
        return None
    GA, GB, DW = got
    ps = _p_blocks(blk, act, W, DW, explicit)
    out = None
    if ps is not None:
        GA = _assemble([GA[0] + [ps[0][0]], GA[1] + [ps[0][1]], [ps[0][2]]])
        GB = _assemble([GB[0] + [ps[1][0]], GB[1] + [ps[1][1]], [ps[1][2]]])
        out = _rayleigh_ritz(GA, GB, m, largest)
        if out is None:
            p = ps[2].shape[1]
            GA, GB = GA[:-p, :-p], GB[:-p, :-p]
    else:
        GA, GB = _assemble(GA), _assemble(GB)
    if out is None:
        ps = None
        out = _rayleigh_ritz(GA, GB, m, largest)
    if out is None:
        raise np.linalg.LinAlgError("the Rayleigh-Ritz basis [X, W] is not numerically "
                                    "B-positive definite; is B Hermitian positive definite?")
    theta, lam, C = out
    blk.prev = (GA, GB, C)
    aw = DW.shape[1]
    CX, CW = C[:m], DW @ C[m:m + aw]
    CP = None
    if ps is not None:  # P's coefficients, on all m columns of the search block
        CP = np.zeros((m, m), blk.dtype)
        CP[act] = ps[2] @ C[m + aw:]
    _update(blk, W, AW, BW, CX, CW, CP, lam)
    return theta


def _update(blk: _Block, W, AW, BW, CX, CW, CP, lam) -> None:
    """``P = W CW + P CP`` and ``X = X CX + P``, and the same for the A- and B-images.

    Each new block goes into a spare buffer, and the block it replaces becomes
    the next spare.
    """
    nP = blk.combine(W, CW, blk.P, CP)
    blk.release(blk.P)
    nAP = blk.combine(AW, CW, blk.AP, CP)
    blk.release(blk.AP)
    nBP = nP
    if blk.B is not None:
        nBP = blk.combine(BW, CW, blk.BP, CP)
        blk.release(blk.BP)
    nX = _times(blk.X, CX, blk.spare())
    nX += nP
    blk.release(blk.X)
    nAX = _times(blk.AX, CX, blk.spare())
    nAX += nAP
    blk.release(blk.AX)
    nBX = None
    if blk.B is not None:
        nBX = _times(blk.BX, CX, blk.spare())
        nBX += nBP
        blk.release(blk.BX)
    blk.P, blk.AP, blk.BP = nP, nAP, nBP
    blk.set_x(nX, nAX, nBX, lam)


# --------------------------------------------------------------------------- the front


def _check(A, X, B, T, Y, k, tol, maxiter, callback):
    """``(X as an array, n, m, k, dtype)``, or a clear error naming what was received."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ShapeError(f"X must be a 2-D start block of shape (n, m), m >= 1 (got shape "
                         f"{X.shape}); pass one column per wanted pair (and extras)")
    n, m = X.shape
    if not np.all(np.isfinite(X)):
        raise InputValueError("X holds NaN or Inf; pass a finite start block")
    for name, op in (("A", A), ("B", B), ("T", T)):
        if op is not None and getattr(op, "shape", (n, n)) != (n, n):
            raise ShapeError(f"{name} must have shape ({n}, {n}) to match X of shape {X.shape} "
                             f"(got {op.shape})")
    if A is None:
        raise InputValueError("A is required (got None); pass a matrix or LinearOperator")
    c = 0
    if Y is not None:
        Yshape = np.shape(Y)
        if len(Yshape) != 2 or Yshape[0] != n:
            raise ShapeError(f"Y must have shape ({n}, c) to match X of shape {X.shape} "
                             f"(got {Yshape})")
        c = Yshape[1]
    if m + c > n:
        raise ShapeError(f"the block (m={m}) plus the constraints (c={c}) exceed n={n}; "
                         "solve so small a problem densely (scipy.linalg.eigh)")
    k = m if k is None else k
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= m:
        raise InputValueError(f"k must be an integer with 1 <= k <= m={m} (got k={k!r})")
    if isinstance(tol, bool) or not np.isscalar(tol) or not np.isfinite(tol) or tol < 0:
        raise InputValueError(f"tol must be a finite number >= 0 (got tol={tol!r})")
    if isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 0:
        raise InputValueError(f"maxiter must be an integer >= 0 (got maxiter={maxiter!r})")
    if callback is not None and not callable(callback):
        raise InputValueError(f"callback must be callable or None (got {type(callback)})")
    dts = [X.dtype, np.float64] + [np.dtype(getattr(o, "dtype", np.float64))
                                   for o in (A, B, Y) if o is not None]
    dtype = np.result_type(*dts)
    dtype = np.complex128 if dtype.kind == "c" else np.float64
    return X, n, m, int(k), dtype


def block_lobpcg(A, X, *, B=None, T=None, Y=None, k=None, tol, maxiter, largest=False,
                 callback=None) -> tuple[np.ndarray, np.ndarray, int, list[np.ndarray]]:
    """Block LOBPCG for the smallest (or largest) eigenpairs of ``A x = λ B x``.

    Locally optimal block preconditioned conjugate gradients (Knyazev 2001)
    with soft locking: each iteration only the columns whose residual is above
    ``tol`` bring a preconditioned residual ``W`` and a search direction ``P``
    (a column that falls back above ``tol`` takes part again), and the
    Rayleigh–Ritz step on ``span[X, W, P]`` is computed blockwise.  It stops
    as soon as the ``k`` wanted pairs (the first ``k`` in sorted order) have
    ``‖A x − λ B x‖ ≤ tol``, whether the other block vectors have converged or
    not.  Not converging is not an error: the current block comes back, and the
    caller judges (and reports) every residual.

    Parameters
    ----------
    A : sparse matrix or array, ndarray or LinearOperator, shape (n, n)
        Hermitian; anything with ``A @ V`` for an ``(n, p)`` block.
    X : ndarray, shape (n, m)
        The start block (copied).  Dependent columns (two equal ones, one in
        ``span(Y)``) are replaced by seeded random vectors.
    B : sparse matrix or array, ndarray or LinearOperator, optional
        Hermitian positive definite (a diagonal or a mass matrix); default the identity.
    T : LinearOperator, sparse matrix or ndarray, optional
        The preconditioner, applied as ``T @ V`` to ``(n, p)`` blocks; Hermitian
        positive definite (an approximate inverse of ``A``).  Default none.
    Y : ndarray, shape (n, c), optional
        Constraints: the iterates stay B-orthogonal to ``span(Y)`` (``Y`` need
        not be B-orthonormal; dependent columns are dropped).
    k : int, optional
        How many wanted pairs decide convergence, ``1 <= k <= m``; default ``m``.
    tol : float
        Absolute residual tolerance, as SciPy's ``lobpcg``.
    maxiter : int
        At most this many iterations (0: only the Rayleigh–Ritz step on ``X``).
    largest : bool, default=False
        The largest pairs instead of the smallest.
    callback : callable, optional
        ``callback(X, w, residual_norms)`` after every iteration.  ``X`` is the
        kernel's working block: valid during the call, copy it to keep it.

    Returns
    -------
    w : ndarray, shape (m,)
        Ritz values, ascending (descending with ``largest``).
    X : ndarray, shape (n, m)
        B-orthonormal Ritz vectors, columns matching ``w``.
    iterations : int
        Iterations run (at most ``maxiter``).
    history : list of ndarray
        ``history[i]`` the residual norms of the whole block after iteration
        ``i`` (``history[0]``: the start block's), ``iterations + 1`` of them.

    Raises
    ------
    ShapeError, InputValueError
        Inputs of the wrong shape, kind or value (the message shows what was received).
    numpy.linalg.LinAlgError
        The Rayleigh–Ritz basis is not numerically B-positive definite even
        without ``P`` (``B`` not positive definite, or a breakdown): the caller
        may fall back to :func:`scipy.sparse.linalg.lobpcg`.

    See Also
    --------
    scipy.sparse.linalg.lobpcg : SciPy's, which stops only when the whole block has converged.

    Notes
    -----
    One BLAS thread is the caller's choice (``threadpoolctl``).  Per iteration:
    one product with each of ``A``, ``B`` and ``T`` on the ``a`` unconverged
    columns, and about 64 passes over ``n × m`` blocks with ``B`` (52
    without) against SciPy's ~103 (counted in ``_step``).  The Gram blocks
    that hold by construction (``Xᴴ B X = I``, ...) are taken as such until
    every wanted residual is below ``sqrt(eps)`` times the largest Ritz value
    seen, and computed from then on.  Convergence is confirmed on freshly
    computed ``A X`` and ``B X`` (the carried ones drift by rounding); the last
    history entry is then that confirmation.  The iteration also ends early,
    unconverged, when the preconditioned residuals bring no new direction
    (they lie numerically in ``span(X, Y)``).

    Examples
    --------
    The three smallest eigenvalues of a path graph's Laplacian above the
    constant vector, ``2 − 2 cos(π j / n)``:

    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparsekit.linalg._eigen._block_lobpcg import block_lobpcg
    >>> n = 200
    >>> L = sp.diags_array([-np.ones(n - 1), np.r_[1.0, 2 * np.ones(n - 2), 1.0],
    ...                     -np.ones(n - 1)], offsets=[-1, 0, 1]).tocsr()
    >>> X0 = np.random.default_rng(0).standard_normal((n, 5))
    >>> w, X, its, hist = block_lobpcg(L, X0, Y=np.ones((n, 1)), k=3, tol=1e-9,
    ...                                maxiter=2000)
    >>> exact = 2 - 2 * np.cos(np.pi * np.arange(1, 4) / n)
    >>> bool(np.allclose(w[:3], exact, rtol=1e-7)), bool(np.all(hist[-1][:3] <= 1e-9))
    (True, True)
    """
    X, n, m, k, dtype = _check(A, X, B, T, Y, k, tol, maxiter, callback)
    blk = _Block(A, B, T, n, m, dtype)
    Q, BQ = _constraints(Y, B, blk)
    _start(blk, X, Q, BQ, largest)
    res = blk.residual()
    history = [res]
    scale = float(np.max(np.abs(blk.lam)))
    explicit = False
    its = 0
    confirmed = True  # the start's AX and BX are fresh products
    while True:
        if np.all(res[:k] <= tol):
            if confirmed:
                break
            # confirm convergence on recomputed A X and B X; iterate on if it fails
            blk.refresh()
            res = history[-1] = blk.residual()
            confirmed = True
            continue
        if its >= maxiter:
            break
        confirmed = False
        act = np.flatnonzero(res > tol)
        explicit = explicit or float(res[:k].max()) <= _EXPLICIT * scale
        theta = _step(blk, act, Q, BQ, explicit, largest)
        if theta is None:  # no new direction: the residuals lie in span(X, Y)
            break
        scale = max(scale, float(np.max(np.abs(theta))))
        its += 1
        res = blk.residual()
        history.append(res)
        if callback is not None:
            callback(blk.X, blk.lam, res)
    return blk.lam.copy(), blk.X, its, history
