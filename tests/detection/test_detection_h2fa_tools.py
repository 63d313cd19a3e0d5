"""H2FA R-CNN through tools/train.py (2 iterations, domain-paired loader) and tools/test.py (mAP + CorLoc)."""
import math
import subprocess
import os.path as osp

from wsl.testing import REPO, last_json, run_tool
from wsl.utils import safe_torch_load

CONFIG = osp.join(REPO, 'configs', 'h2fa', 'h2fa-rcnn_r18-dc5_1xb8-600it_shapes.py')


def _options(root):
    return [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1', 'train_dataloader.batch_size=4', 'train_dataloader.sampler.batch_size=4',
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False', 'param_scheduler.0.end=1', 'param_scheduler.1.end=2',
        'param_scheduler.1.milestones=[1]', f'train_dataloader.dataset.source.data_root={root}/source/',
        f'train_dataloader.dataset.target.data_root={root}/target/', f'val_dataloader.dataset.data_root={root}/target/',
        f'test_dataloader.dataset.data_root={root}/target/'
    ]


def test_h2fa_train_two_iterations_then_test_with_corloc(shapes_root, tool_env, python_exe, tmp_path):
    wd = str(tmp_path / 'train')
    p = run_tool([python_exe, 'tools/train.py', CONFIG, '--work-dir', wd, '--cfg-options', *_options(shapes_root)],
                 tool_env)
    log = p.stdout + p.stderr
    assert 'Iter(train) [2/2]' in log
    for key in ('loss_global_da', 'loss_local_da', 'loss_cam', 'loss_mil', 'loss_rpn_cls', 'loss_bbox'):
        assert f'{key}: ' in log
    val = last_json(p.stdout)
    assert set(val) == {'pascal_voc/mAP', 'pascal_voc/AP50'} and 0.0 <= val['pascal_voc/mAP'] <= 1.0
    ck = safe_torch_load(osp.join(wd, 'iter_2.pth'))
    assert ck['meta']['iter'] == 2
    assert any(k.startswith('global_da_head.') for k in ck['state_dict'])
    # CorLoc on target-TRAIN (Table B.4's protocol), with the test tool.
    opts = _options(shapes_root) + ['test_dataloader.dataset.ann_file=ImageSets/Main/train.txt']
    p = run_tool([python_exe, 'tools/test.py', CONFIG, osp.join(wd, 'iter_2.pth'), '--work-dir',
                  str(tmp_path / 'test'), '--cfg-options', *opts], tool_env)
    res = last_json(p.stdout)
    assert {'pascal_voc/mAP', 'corloc/mCorLoc', 'corloc/CorLoc_circle', 'corloc/CorLoc_star'} <= set(res)
    assert math.isnan(res['corloc/mCorLoc']) or 0.0 <= res['corloc/mCorLoc'] <= 1.0
    assert 'positives' in p.stdout + p.stderr  # the per-class CorLoc table
    # Figure B.2 heat maps of two target images with the trained checkpoint.
    imgs = [osp.join(shapes_root, 'target', 'JPEGImages', f'00000{i}.jpg') for i in (0, 1)]
    out_dir = tmp_path / 'heat'
    p = run_tool([python_exe, 'tools/h2fa_heatmaps.py', CONFIG, osp.join(wd, 'iter_2.pth'), *imgs, '--out-dir',
                  str(out_dir), '--class', 'star'], tool_env)
    res = last_json(p.stdout)
    assert list(res) == imgs
    for img in imgs:
        r = res[img]
        assert r['class_name'] == 'star' and r['num_proposals'] > 0
        assert set(r['image_scores']) == {'circle', 'square', 'triangle', 'star'}
        assert all(0.0 < v < 1.0 for v in r['image_scores'].values())
        from PIL import Image
        with Image.open(r['figure']) as im:
            assert im.size[0] > 3 * im.size[1]  # four panels in a row
    p = subprocess.run([python_exe, 'tools/h2fa_heatmaps.py', CONFIG, osp.join(wd, 'iter_2.pth'), imgs[0],
                        '--out-dir', str(out_dir), '--class', 'hexagon'], env=tool_env, cwd=REPO,
                       capture_output=True, text=True)
    assert p.returncode != 0 and "class 'hexagon' is not one of the model classes" in p.stderr
    # Proposal diagnostics on the target-train images with the trained checkpoint.
    p = run_tool([python_exe, 'tools/proposal_diagnostics.py', CONFIG, osp.join(wd, 'iter_2.pth'), '--data-root',
                  f'{shapes_root}/target/', '--ann-file', 'ImageSets/Main/train.txt', '--num-images', '3'], tool_env)
    st = last_json(p.stdout)
    assert st['num_images'] + st['num_boxes'] > 0 and 0.0 <= st['recall'] <= 1.0
    assert math.isnan(st['cls_acc']) or 0.0 <= st['cls_acc'] <= 1.0
