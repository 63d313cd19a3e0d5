"""NeFeS training integration: ray/patch sampling, stage-dependent losses, the progressive hook, a Runner run."""
import logging
from types import SimpleNamespace

import pytest
import torch

from wsl.localization.nefes.model import NeFeSModel
from wsl.localization.nefes.ray_sampling import sample_patches, sample_random_pixels
from wsl.localization.nefes.stage_hook import NeFeSProgressiveHook

TINY_NEFES = dict(coarse=dict(depth=2, width=16, skips=()), fine=dict(depth=2, width=16, skips=(1, )),
                  fusion=dict(mid_channels=8), renderer=dict(num_coarse=8, num_fine=8))


def test_random_pixels_are_distinct_and_respect_masks():
    g = torch.Generator().manual_seed(0)
    pix = sample_random_pixels(3, 4, 5, 20, generator=g)
    assert pix.shape == (3, 20) and all(sorted(p.tolist()) == list(range(20)) for p in pix)  # all pixels, no repeats
    mask = torch.zeros(2, 4, 5)
    mask[:, 1, :] = 1  # only row 1 is valid
    pix = sample_random_pixels(2, 4, 5, 5, mask=mask, generator=g)
    assert sorted(pix[0].tolist()) == [5, 6, 7, 8, 9]
    with pytest.raises(ValueError, match='only 5 valid pixels'):
        sample_random_pixels(2, 4, 5, 6, mask=mask)


def test_patches_are_contiguous_squares_inside_the_grid():
    pix = sample_patches(10, 12, num_patches=7, patch_size=4, generator=torch.Generator().manual_seed(1))
    patches = pix.reshape(7, 4, 4)
    assert (patches[:, :, 1:] - patches[:, :, :-1] == 1).all() and (patches[:, 1:, :] - patches[:, :-1, :] == 12).all()
    assert (patches[:, :, 0] % 12 <= 12 - 4).all() and pix.max() < 120
    with pytest.raises(ValueError, match='do not fit'):
        sample_patches(3, 12, 1, 4)


def _batch(b=2, size=16):
    g = torch.Generator().manual_seed(0)
    imgs = [torch.rand(3, size, size, generator=g) for _ in range(b)]
    samples = [dict(pose_nerf=torch.cat([torch.eye(3), torch.tensor([[0.1 * i], [0.0], [0.5]])], 1),
                    hist=torch.full((10, ), 10.0), focal=16.0, near=0.0, far=2.0) for i in range(b)]
    return imgs, samples


def _model(**kw):
    torch.manual_seed(0)
    return NeFeSModel(nefes=TINY_NEFES, feature_extractor=dict(type='DFNet'), rays_per_image=8, num_patches=2,
                      patch_size=2, **kw).train()


def test_losses_per_stage_and_where_their_gradients_go():
    model = _model()
    imgs, samples = _batch()
    assert set(model(imgs, samples, mode='loss')) == {'loss_coarse', 'loss_fine', 'loss_beta', 'loss_transient'}
    model.stage = 2
    losses = model(imgs, samples, mode='loss')
    assert set(losses) == {'loss_coarse', 'loss_fine', 'loss_beta', 'loss_transient', 'loss_feat'}
    losses['loss_feat'].backward()  # the feature loss trains feature values, not density, never the extractor
    assert torch.count_nonzero(model.nefes.fine.static_head.weight.grad) > 0
    assert model.nefes.fine.sigma_head[0].weight.grad is None or not model.nefes.fine.sigma_head[0].weight.grad.any()
    assert all(p.grad is None for p in model.feature_extractor.parameters())
    assert not model.feature_extractor.training  # frozen extractor stays in eval mode
    model.stage = 3
    losses = model(imgs, samples, mode='loss')
    assert 'loss_fusion' in losses
    model.zero_grad()
    losses['loss_fusion'].backward()
    assert torch.count_nonzero(model.nefes.fusion.body[0].weight.grad) > 0


def test_lambda_scales_the_feature_loss():
    imgs, samples = _batch()
    values = []
    for lam in (0.04, 0.08):
        model = _model(lambda_feat=(0.0, lam, 0.02), stage=2)
        torch.manual_seed(3)
        values.append(model(imgs, samples, mode='loss')['loss_feat'].item())
    assert values[1] == pytest.approx(2 * values[0], rel=1e-5)


def test_predict_renders_full_views():
    model = _model().eval()
    imgs, samples = _batch()
    res = model(imgs, samples, mode='predict')
    assert len(res) == 2 and res[0]['pred_rgb'].shape == (3, 4, 4) and res[0]['pred_fused'].shape == (128, 4, 4)
    assert 0 < res[0]['psnr'] < 100


def test_progressive_hook_switches_stages_and_restarts_adam_once():
    hook = NeFeSProgressiveHook(stage_epochs=(600, 200))
    assert [hook.stage_at(e) for e in (0, 599, 600, 799, 800, 1200)] == [1, 1, 2, 2, 3, 3]
    param = torch.nn.Parameter(torch.ones(2))
    optim = torch.optim.Adam([param], lr=5e-4)
    optim.param_groups[0]['initial_lr'] = 5e-4
    param.grad = torch.ones(2)
    optim.step()
    optim.param_groups[0]['lr'] = 8e-5  # decayed during stage 1
    runner = SimpleNamespace(model=SimpleNamespace(stage=1), epoch=0, optim_wrapper=SimpleNamespace(optimizer=optim),
                             logger=logging.getLogger('test'))
    hook.before_train_epoch(runner)
    assert runner.model.stage == 1 and len(optim.state) == 1
    runner.epoch = 600
    hook.before_train_epoch(runner)
    assert runner.model.stage == 2 and len(optim.state) == 0 and optim.param_groups[0]['lr'] == 5e-4
    optim.step()
    optim.param_groups[0]['lr'] = 3e-4
    runner.epoch = 800
    hook.before_train_epoch(runner)  # stage 3 keeps the optimiser and the decayed rate
    assert runner.model.stage == 3 and len(optim.state) == 1 and optim.param_groups[0]['lr'] == 3e-4


def test_runner_trains_through_all_stages_on_the_synthetic_room(tmp_path):
    from mmengine.runner import Runner

    from wsl.datasets.synthetic.room import make_room_dataset
    meta = make_room_dataset(str(tmp_path / 'data'), num_train=4, num_test=2, height=16, width=16, supersample=1)
    dataset = dict(type='SevenScenesNeFeSDataset', scene='room', data_root=str(tmp_path / 'data' / 'room'),
                   img_height=16, scene_setup=meta['scene_setup'],
                   pipeline=[dict(type='LoadNeFeSImage'), dict(type='PackNeFeSInputs')])
    runner = Runner(
        model=dict(type='NeFeSModel', nefes=TINY_NEFES, feature_extractor=dict(type='DFNet'), rays_per_image=8,
                   num_patches=2, patch_size=2),
        work_dir=str(tmp_path / 'work'),
        train_dataloader=dict(dataset=dataset, batch_size=2, sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='pseudo_collate'), num_workers=0),
        train_cfg=dict(by_epoch=True, max_epochs=3),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=5e-4)),
        param_scheduler=dict(type='ExponentialLR', gamma=0.1**(1 / 754), by_epoch=True),
        custom_hooks=[dict(type='NeFeSProgressiveHook', stage_epochs=(1, 1))],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=100)),
        default_scope='wsl', randomness=dict(seed=0), log_level='WARNING')
    runner.train()
    assert runner.model.stage == 3 and runner.epoch == 3
    assert all(torch.isfinite(p).all() for p in runner.model.parameters())


def test_progressive_hook_also_resets_the_optim_wrappers_base_settings():
    from mmengine.optim import OptimWrapper
    param = torch.nn.Parameter(torch.ones(2))
    optim = torch.optim.Adam([param], lr=4e-4)
    wrapper = OptimWrapper(optim)
    wrapper.base_param_settings = dict(params=[], lr=1e-4, initial_lr=5e-4)  # what paramwise_cfg creates
    optim.param_groups[0]['initial_lr'] = 5e-3
    runner = SimpleNamespace(model=SimpleNamespace(stage=1), epoch=1, optim_wrapper=wrapper,
                             logger=logging.getLogger('test'))
    NeFeSProgressiveHook(stage_epochs=(1, 1)).before_train_epoch(runner)
    assert optim.param_groups[0]['lr'] == 5e-3 and wrapper.base_param_settings['lr'] == 5e-4
    assert wrapper.get_lr()['base_lr'] == [5e-4]
