"""SE(3)/SO(3) helpers of wsl.localization.nefes.pose on hand-made cases."""
import math

import pytest
import torch

from wsl.localization.nefes.pose import (apply_pose_correction, compose_poses, invert_pose, matrix_to_quaternion,
                                         project_to_so3, quaternion_to_matrix, rotation_angle, se3_exp, skew,
                                         so3_exp)

D = torch.float64


def test_so3_exp_quarter_turn_about_z():
    rot = so3_exp(torch.tensor([0, 0, math.pi / 2], dtype=D))
    expected = torch.tensor([[0, -1, 0], [1, 0, 0], [0, 0, 1]], dtype=D)
    assert torch.allclose(rot, expected, atol=1e-12)


@pytest.mark.parametrize('scale', [0.0, 1e-9, 9e-4, 1.1e-3, 0.3, 2.0, 3.1])
def test_so3_exp_matches_matrix_exponential_across_series_switch(scale):
    g = torch.Generator().manual_seed(0)
    axis = torch.nn.functional.normalize(torch.randn(5, 3, generator=g, dtype=D), dim=-1)
    rotvec = axis * scale
    rot = so3_exp(rotvec)
    assert torch.allclose(rot, torch.linalg.matrix_exp(skew(rotvec)), atol=1e-12)
    assert torch.allclose(rot @ rot.transpose(-1, -2), torch.eye(3, dtype=D).expand(5, 3, 3), atol=1e-12)
    assert torch.allclose(torch.det(rot), torch.ones(5, dtype=D))


def test_so3_exp_gradient_at_zero_is_the_generators():
    jac = torch.autograd.functional.jacobian(so3_exp, torch.zeros(3, dtype=D))  # (3, 3, 3)
    assert torch.isfinite(jac).all()
    for k in range(3):
        assert torch.allclose(jac[..., k], skew(torch.eye(3, dtype=D)[k]))


def test_se3_exp_matches_4x4_matrix_exponential():
    xi = torch.tensor([[0.3, -0.2, 0.5, 0.4, -0.7, 0.2], [1e-3, 2e-3, 0, 1e-8, 0, 0]], dtype=D)
    twist = torch.zeros(2, 4, 4, dtype=D)
    twist[:, :3, :3] = skew(xi[:, 3:])
    twist[:, :3, 3] = xi[:, :3]
    assert torch.allclose(se3_exp(xi), torch.linalg.matrix_exp(twist)[:, :3], atol=1e-12)


def test_pose_correction_keeps_rotations_orthonormal_and_decouples_centre():
    g = torch.Generator().manual_seed(1)
    pose = torch.cat([so3_exp(torch.randn(4, 3, generator=g, dtype=D)), torch.randn(4, 3, 1, generator=g, dtype=D)], -1)
    assert torch.equal(apply_pose_correction(pose, torch.zeros(4, 3, dtype=D), torch.zeros(4, 3, dtype=D)), pose)
    for _ in range(200):  # many accumulated updates never leave SO(3)
        pose = apply_pose_correction(pose, 0.2 * torch.randn(4, 3, generator=g, dtype=D),
                                     0.1 * torch.randn(4, 3, generator=g, dtype=D))
    rot = pose[..., :3]
    assert torch.allclose(rot @ rot.transpose(-1, -2), torch.eye(3, dtype=D).expand(4, 3, 3), atol=1e-10)
    assert torch.allclose(torch.det(rot), torch.ones(4, dtype=D), atol=1e-10)
    # a pure rotation correction leaves the camera centre where it was
    rotated = apply_pose_correction(pose, torch.tensor([[0.0, 0.5, 0.0]] * 4, dtype=D), torch.zeros(4, 3, dtype=D))
    assert torch.allclose(rotated[..., 3], pose[..., 3])
    assert torch.allclose(rotated[..., :3], so3_exp(torch.tensor([0.0, 0.5, 0.0], dtype=D)) @ pose[..., :3])


def test_project_to_so3():
    rot = so3_exp(torch.tensor([0.1, -0.4, 0.9], dtype=D))
    assert torch.allclose(project_to_so3(rot), rot, atol=1e-12)
    assert torch.allclose(project_to_so3(1.7 * rot), rot, atol=1e-12)  # scale is removed
    noisy = rot + 1e-3 * torch.tensor([[1, 2, 0], [0, -1, 3], [2, 0, 1]], dtype=D)
    proj = project_to_so3(noisy)
    assert torch.allclose(proj @ proj.T, torch.eye(3, dtype=D), atol=1e-12)
    assert (proj - rot).norm() < (noisy - rot).norm()
    reflection = rot @ torch.diag(torch.tensor([1, 1, -1], dtype=D))
    assert torch.det(project_to_so3(reflection)) == pytest.approx(1.0)


@pytest.mark.parametrize('angle_deg', [0.0, 1e-4, 0.5, 30.0, 90.0, 179.9])
def test_rotation_angle(angle_deg):
    axis = torch.nn.functional.normalize(torch.tensor([1.0, 2.0, -0.5], dtype=D), dim=0)
    rot = so3_exp(axis * math.radians(angle_deg))
    assert math.degrees(rotation_angle(rot)) == pytest.approx(angle_deg, abs=1e-9)


def test_quaternion_conversions():
    half = math.sqrt(0.5)
    rot = quaternion_to_matrix(torch.tensor([half, 0, 0, half], dtype=D))  # 90 deg about z
    assert torch.allclose(rot, so3_exp(torch.tensor([0, 0, math.pi / 2], dtype=D)), atol=1e-12)
    g = torch.Generator().manual_seed(2)
    q = torch.nn.functional.normalize(torch.randn(64, 4, generator=g, dtype=D), dim=-1)
    q = torch.where(q[:, :1] < 0, -q, q)
    assert torch.allclose(matrix_to_quaternion(quaternion_to_matrix(q)), q, atol=1e-12)
    # scale of the input quaternion does not matter; the zero quaternion is refused
    assert torch.allclose(quaternion_to_matrix(3 * q), quaternion_to_matrix(q))
    with pytest.raises(ValueError, match='zero quaternion'):
        quaternion_to_matrix(torch.zeros(4))


def test_invert_and_compose():
    rot = so3_exp(torch.tensor([0.3, 0.2, -0.1], dtype=D))
    pose = torch.cat([rot, torch.tensor([[1.0], [-2.0], [0.5]], dtype=D)], 1)
    ident = compose_poses(pose, invert_pose(pose))
    assert torch.allclose(ident, torch.eye(4, dtype=D)[:3], atol=1e-12)


def test_project_to_so3_gradient_is_correct_and_finite_at_rotations():
    g = torch.Generator().manual_seed(3)
    mats = torch.randn(4, 3, 3, generator=g, dtype=D, requires_grad=True)
    assert torch.autograd.gradcheck(project_to_so3, (mats, ))
    reflect = (torch.diag(torch.tensor([1.0, 1.0, -1.0], dtype=D)) @ so3_exp(torch.tensor([0.2, 0.1, 0.3], dtype=D)))
    near_reflection = (reflect + 0.1 * torch.randn(3, 3, generator=g, dtype=D)).requires_grad_()
    assert torch.autograd.gradcheck(project_to_so3, (near_reflection, ))
    rot = so3_exp(torch.tensor([0.3, -0.2, 0.1], dtype=D)).requires_grad_()  # all singular values equal 1
    project_to_so3(rot).square().sum().backward()
    assert torch.isfinite(rot.grad).all()
    # moving along the rotation's tangent passes the derivative straight through
    tangent = skew(torch.tensor([0.0, 0.0, 1.0], dtype=D)) @ rot.detach()
    _, jvp = torch.autograd.functional.jvp(project_to_so3, rot.detach(), tangent)
    assert torch.allclose(jvp, tangent, atol=1e-10)
