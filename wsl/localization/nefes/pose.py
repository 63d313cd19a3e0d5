"""Rigid-body geometry for absolute pose regression and its refinement.

Poses are ``(..., 3, 4)`` matrices ``[R | t]``. Unless a function says otherwise they are
camera-to-world (c2w): ``t`` is the camera centre in world coordinates and the columns of ``R``
are the camera axes. All functions are differentiable PyTorch and batch over leading dims.
"""
import torch
from torch import Tensor

# Below this squared angle the SO(3)/SE(3) coefficients switch to their Taylor series, which keeps
# the exponential (and its gradient) exact at the origin, where refinement starts.
_SMALL_ANGLE_SQ = 1e-6


def skew(v: Tensor) -> Tensor:
    """Cross-product matrix ``[v]_x`` with ``[v]_x w = v x w``.

    Args:
        v (Tensor): (..., 3) vectors.

    Returns:
        Tensor: (..., 3, 3) skew-symmetric matrices.
    """
    if v.shape[-1] != 3:
        raise ValueError(f'skew: expected (..., 3) vectors, got shape {tuple(v.shape)}')
    x, y, z = v.unbind(-1)
    o = torch.zeros_like(x)
    return torch.stack([o, -z, y, z, o, -x, -y, x, o], dim=-1).reshape(*v.shape[:-1], 3, 3)


def _so3_coefficients(rotvec: Tensor):
    """``A = sin(θ)/θ``, ``B = (1-cos θ)/θ²``, ``C = (θ - sin θ)/θ³`` with safe small-angle series."""
    theta_sq = (rotvec * rotvec).sum(-1)
    small = theta_sq < _SMALL_ANGLE_SQ
    theta = torch.sqrt(torch.where(small, torch.ones_like(theta_sq), theta_sq))
    sin, cos = torch.sin(theta), torch.cos(theta)
    a = torch.where(small, 1 - theta_sq / 6 + theta_sq**2 / 120, sin / theta)
    b = torch.where(small, 0.5 - theta_sq / 24 + theta_sq**2 / 720, (1 - cos) / theta_sq.where(~small, 1))
    c = torch.where(small, 1 / 6 - theta_sq / 120 + theta_sq**2 / 5040,
                    (theta - sin) / (theta_sq.where(~small, 1) * theta))
    return a[..., None, None], b[..., None, None], c[..., None, None]


def so3_exp(rotvec: Tensor) -> Tensor:
    """Rodrigues' formula: rotation vector (axis * angle, radians) to rotation matrix.

    Args:
        rotvec (Tensor): (..., 3) rotation vectors.

    Returns:
        Tensor: (..., 3, 3) rotation matrices; exact and differentiable at ``rotvec = 0``.
    """
    a, b, _ = _so3_coefficients(rotvec)
    k = skew(rotvec)
    eye = torch.eye(3, dtype=rotvec.dtype, device=rotvec.device).expand_as(k)
    return eye + a * k + b * (k @ k)


def so3_left_jacobian(rotvec: Tensor) -> Tensor:
    """Left Jacobian ``V = I + B[r]_x + C[r]_x²`` of SO(3); maps the SE(3) tangent's translation part.

    Args:
        rotvec (Tensor): (..., 3) rotation vectors.

    Returns:
        Tensor: (..., 3, 3).
    """
    _, b, c = _so3_coefficients(rotvec)
    k = skew(rotvec)
    eye = torch.eye(3, dtype=rotvec.dtype, device=rotvec.device).expand_as(k)
    return eye + b * k + c * (k @ k)


def se3_exp(xi: Tensor) -> Tensor:
    """SE(3) exponential of a twist ordered ``[rho (translation), omega (rotation)]``.

    Args:
        xi (Tensor): (..., 6) twists.

    Returns:
        Tensor: (..., 3, 4) transforms ``[exp(omega) | V(omega) rho]``.
    """
    if xi.shape[-1] != 6:
        raise ValueError(f'se3_exp: expected (..., 6) twists [rho, omega], got shape {tuple(xi.shape)}')
    rho, omega = xi[..., :3], xi[..., 3:]
    rot = so3_exp(omega)
    trans = (so3_left_jacobian(omega) @ rho[..., None])[..., 0]
    return torch.cat([rot, trans[..., None]], dim=-1)


def apply_pose_correction(pose: Tensor, rotvec: Tensor, trans: Tensor) -> Tensor:
    """NeFeS direct-pose update: ``R' = exp(r) R`` and ``t' = t + V(r) t_delta``.

    Rotation and camera centre are updated independently (the centre is not rotated), as in the
    official ``LearnPose``; the result stays exactly on SE(3) for any ``r``.

    Args:
        pose (Tensor): (..., 3, 4) initial c2w poses.
        rotvec (Tensor): (..., 3) rotation correction r (radians, world frame).
        trans (Tensor): (..., 3) translation correction (pose units, e.g. metres in the APR frame).

    Returns:
        Tensor: (..., 3, 4) corrected poses.
    """
    delta = se3_exp(torch.cat([trans, rotvec], dim=-1))
    rot = delta[..., :3] @ pose[..., :3]
    return torch.cat([rot, (pose[..., 3] + delta[..., 3])[..., None]], dim=-1)


class _ProjectToSO3(torch.autograd.Function):
    """SVD projection with the closed-form derivative of the polar factor.

    For ``M = U S V^T`` (det-fixed so that ``R = U V^T`` is a rotation), ``dR = U Omega V^T`` with
    ``Omega_ij = (X_ij - X_ji) / (s_i + s_j)``, ``X = U^T dM V``. Its denominators are sums of singular
    values, so unlike the generic SVD backward (``1 / (s_i^2 - s_j^2)``) it stays finite when the
    input is (close to) a rotation, e.g. when refinement starts from an orthonormal APR output.
    """

    @staticmethod
    def forward(ctx, mat):
        u, s, vh = torch.linalg.svd(mat)
        # Flip the last left-singular vector (and value) where U V^T would be a reflection (det = -1).
        sign = torch.where(torch.det(u @ vh) < 0, -1.0, 1.0).to(u.dtype)
        u = torch.cat([u[..., :2], u[..., 2:] * sign[..., None, None]], dim=-1)
        s = torch.cat([s[..., :2], s[..., 2:] * sign[..., None]], dim=-1)
        ctx.save_for_backward(u, s, vh)
        return u @ vh

    @staticmethod
    def backward(ctx, grad):
        u, s, vh = ctx.saved_tensors
        a = u.transpose(-1, -2) @ grad @ vh.transpose(-1, -2)
        denom = s[..., :, None] + s[..., None, :]
        b = (a - a.transpose(-1, -2)) / torch.where(denom.abs() < 1e-12, torch.full_like(denom, 1e-12), denom)
        return u @ b @ vh


def project_to_so3(mat: Tensor) -> Tensor:
    """Nearest rotation (Frobenius norm) to each 3x3 matrix, via SVD with a determinant fix.

    Regressed or slightly drifted rotations must be projected before measuring angles (NeFeS trap
    T1: the released refined poses are off-orthonormal by ~1e-3). Differentiable, with a gradient that
    stays finite at (near-)orthonormal inputs.

    Args:
        mat (Tensor): (..., 3, 3) matrices.

    Returns:
        Tensor: (..., 3, 3) matrices in SO(3).
    """
    if mat.shape[-2:] != (3, 3):
        raise ValueError(f'project_to_so3: expected (..., 3, 3) matrices, got {tuple(mat.shape)}')
    return _ProjectToSO3.apply(mat)


def rotation_angle(rot: Tensor) -> Tensor:
    """Rotation angle (radians) of rotation matrices, accurate near 0 and pi.

    Uses ``atan2(|vee(R - R^T)| / 2, (tr R - 1) / 2)``; input must already be in SO(3).

    Args:
        rot (Tensor): (..., 3, 3).

    Returns:
        Tensor: (...,) angles in [0, pi].
    """
    cos = (rot.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2
    s = rot - rot.transpose(-1, -2)
    sin = torch.stack([s[..., 2, 1], s[..., 0, 2], s[..., 1, 0]], -1).norm(dim=-1) / 2
    return torch.atan2(sin, cos)


def invert_pose(pose: Tensor) -> Tensor:
    """Inverse of rigid ``[R | t]`` (c2w <-> w2c). Shape (..., 3, 4) -> (..., 3, 4)."""
    rot_t = pose[..., :3].transpose(-1, -2)
    return torch.cat([rot_t, -(rot_t @ pose[..., 3:])], dim=-1)


def compose_poses(a: Tensor, b: Tensor) -> Tensor:
    """``a @ b`` of rigid transforms given as (..., 3, 4) matrices."""
    return torch.cat([a[..., :3] @ b[..., :3], a[..., :3] @ b[..., 3:] + a[..., 3:]], dim=-1)


def quaternion_to_matrix(quat: Tensor) -> Tensor:
    """Unit quaternion ``(w, x, y, z)`` to rotation matrix (the input is normalised first).

    Args:
        quat (Tensor): (..., 4), scalar first.

    Returns:
        Tensor: (..., 3, 3).
    """
    norm = quat.norm(dim=-1, keepdim=True)
    if bool((norm == 0).any()):
        raise ValueError('quaternion_to_matrix: got a zero quaternion')
    w, x, y, z = (quat / norm).unbind(-1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], dim=-1).reshape(*quat.shape[:-1], 3, 3)


def matrix_to_quaternion(rot: Tensor) -> Tensor:
    """Rotation matrix to unit quaternion ``(w, x, y, z)`` with ``w >= 0`` (Shepperd's method).

    Args:
        rot (Tensor): (..., 3, 3) rotations (projected to SO(3) first if they may have drifted).

    Returns:
        Tensor: (..., 4).
    """
    m = rot
    tr = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    # Four candidate solutions; each is well conditioned where its leading component is largest.
    cands = torch.stack([
        torch.stack([1 + tr, m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0],
                     m[..., 1, 0] - m[..., 0, 1]], -1),
        torch.stack([m[..., 2, 1] - m[..., 1, 2], 1 + 2 * m[..., 0, 0] - tr, m[..., 0, 1] + m[..., 1, 0],
                     m[..., 0, 2] + m[..., 2, 0]], -1),
        torch.stack([m[..., 0, 2] - m[..., 2, 0], m[..., 0, 1] + m[..., 1, 0], 1 + 2 * m[..., 1, 1] - tr,
                     m[..., 1, 2] + m[..., 2, 1]], -1),
        torch.stack([m[..., 1, 0] - m[..., 0, 1], m[..., 0, 2] + m[..., 2, 0], m[..., 1, 2] + m[..., 2, 1],
                     1 + 2 * m[..., 2, 2] - tr], -1),
    ], dim=-2)  # (..., 4, 4)
    lead = torch.stack([tr, m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]], -1).argmax(-1)
    q = torch.gather(cands, -2, lead[..., None, None].expand(*lead.shape, 1, 4))[..., 0, :]
    q = q / q.norm(dim=-1, keepdim=True)
    return torch.where(q[..., :1] < 0, -q, q)
