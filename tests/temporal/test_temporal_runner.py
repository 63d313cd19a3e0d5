"""D2-Net through MMEngine's Runner on the synthetic W-TALC set: 2 iterations, validation, transforms."""
import numpy as np
import pytest
import torch

from wsl.datasets.synthetic.wtalc import make_wtalc_synthetic
from wsl.registry import TRANSFORMS


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('wtalc'))
    make_wtalc_synthetic(root, num_classes=4, num_train=8, num_test=4, feat_dim=32, length_range=(40, 70), seed=0)
    return root


def _dataset(root, split, pipeline):
    return dict(type='WTALCDataset', data_root=root, feature_file='SyntheticTAL-I3D-JOINTFeatures.npy',
                ann_dir='SyntheticTAL-Annotations', split=split, ambiguous_file='Ambiguous_test.txt', feature_dim=32,
                pipeline=pipeline)


def test_random_crop_and_pack():
    np.random.seed(0)
    crop = TRANSFORMS.build(dict(type='RandomSnippetCrop', max_len=4))
    feats = np.arange(10, dtype=np.float32)[:, None].repeat(3, 1)
    starts = set()
    for _ in range(200):
        out = crop(dict(features=feats))
        assert out['features'].shape == (4, 3)
        starts.add(out['crop_offset'])
        np.testing.assert_array_equal(out['features'][:, 0], np.arange(out['crop_offset'], out['crop_offset'] + 4))
    assert starts == set(range(0, 6))  # [0, T - L - 1]: the last snippet never ends a crop
    assert crop(dict(features=feats[:3]))['features'].shape == (3, 3)  # short videos untouched
    pack = TRANSFORMS.build(dict(type='PackTemporalInputs', num_classes=5))
    res = pack(dict(features=feats[:6], gt_label=[1, 3], gt_segments=np.array([[0.0, 1.28]]), gt_labels=[3],
                    video_name='v'))
    assert res['inputs'].shape == (6, 3) and res['data_samples'].gt_label.tolist() == [0, 1, 0, 1, 0]
    assert res['data_samples'].num_snippets == 6 and res['data_samples'].video_name == 'v'
    assert res['data_samples'].gt_instances.segments.shape == (1, 2)
    with pytest.raises(ValueError, match='outside'):
        pack(dict(features=feats, gt_label=[7], video_name='v'))


def test_two_iterations_train_and_validate(synthetic, tmp_path):
    from mmengine.runner import Runner
    cfg = dict(
        default_scope='wsl',
        model=dict(type='D2Net', streams=dict(type='TwoStreamTCN', num_classes=4, in_channels=32),
                   denoise_start_iter=0, denoise_interval=1),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            batch_size=4, num_workers=0, sampler=dict(type='InfiniteSampler', shuffle=True),
            dataset=_dataset(synthetic, 'train', [dict(type='RandomSnippetCrop', max_len=50),
                                                  dict(type='PackTemporalInputs', num_classes=4)])),
        val_dataloader=dict(batch_size=1, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                            dataset=_dataset(synthetic, 'test', [dict(type='PackTemporalInputs', num_classes=4)])),
        val_evaluator=dict(type='TemporalDetectionMAP', protocol='legacy', iou_thresholds='0.1:0.5'),
        train_cfg=dict(by_epoch=False, max_iters=2, val_interval=2),
        val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=5e-4)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        log_processor=dict(by_epoch=False),
        randomness=dict(seed=0),
        log_level='WARNING',
    )
    runner = Runner.from_cfg(cfg)
    before = runner.model.x_ref.clone()
    runner.train()
    assert not torch.equal(runner.model.x_ref, before)  # x_ref moved during training
    metrics = runner.val()
    assert {'tad/mAP@0.10', 'tad/mAP@0.50', 'tad/avg'} <= set(metrics)
    assert all(0.0 <= v <= 100.0 for v in metrics.values())
    ckpt = torch.load(f'{tmp_path}/iter_2.pth', map_location='cpu', weights_only=False)
    torch.testing.assert_close(ckpt['state_dict']['x_ref'], runner.model.x_ref)
