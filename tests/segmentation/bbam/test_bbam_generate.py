"""BBAM generation over a shapes VOC folder: the NPZ interface, resume after a crash, sharding, empty images and
tools/bbam_generate.py. Detector: the shapes Faster R-CNN with random weights (init_cfg=None) and a box head biased
towards one class, so that some objects get positives and others take the no-positive fallback."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

import wsl.segmentation.bbam.generate as gen
from wsl.datasets.synthetic.shapes import load_voc_instances, make_shapes_dataset
from wsl.segmentation.bbam import (NPZ_KEYS, build_from_config, generate_bbam_maps, load_bbam_npz, make_record,
                                   parse_shard, plan_batches, save_bbam_npz, shard_indices)
from wsl.testing import REPO

CONFIG = osp.join(REPO, 'configs', 'bbam', 'bbam_faster-rcnn_r18_fpn_1xb8-600it_shapes.py')
NUM_IMAGES = 5


@pytest.fixture(scope='module')
def voc_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('shapes64'))
    make_shapes_dataset(root, num_train=NUM_IMAGES, num_test=1, image_size=64, seed=0, domains=('source',))
    return osp.join(root, 'source')


def small_cfg(voc_root):
    cfg = Config.fromfile(CONFIG)
    cfg.bbam_dataset.data_root = voc_root + '/'
    cfg.bbam_dataset.pipeline[1].scale = (64, 64)
    cfg.bbam.num_steps = 2
    cfg.bbam.sampler.num_jitters = 300
    cfg.bbam.max_batch_objects = 4
    return cfg


def biased(optimizer, favour=0):
    head = optimizer.detector.roi_head.bbox_head
    torch.manual_seed(0)
    with torch.no_grad():
        head.fc_cls.weight.normal_(0, 0.02)
        head.fc_cls.bias.zero_()
        head.fc_cls.bias[favour] = 3.0
        head.fc_reg.weight.normal_(0, 0.002)
        head.fc_reg.bias.zero_()
    return optimizer


@pytest.fixture(scope='module')
def setup(voc_root):
    opt, ds = build_from_config(small_cfg(voc_root), None)
    return biased(opt), ds


def ids_of(ds):
    return [str(ds.get_data_info(i)['img_id']) for i in range(len(ds))]


def test_npz_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    rec = make_record('2007_000032', 'data/x.jpg', (5, 7), [[0, 1, 4, 3], [2, 2, 6, 4]], [3, 0],
                      rng.random((2, 5, 7)), [12, 0], [16.5, 20.0])
    path = save_bbam_npz(str(tmp_path), rec)
    assert path == osp.join(str(tmp_path), '2007_000032.npz') and not glob.glob(str(tmp_path / '.*'))
    back = load_bbam_npz(path)
    assert set(back) == set(NPZ_KEYS)
    assert back['img_id'] == '2007_000032' and back['img_path'] == osp.abspath('data/x.jpg')
    dtypes = dict(ori_shape=np.int64, boxes=np.float32, labels=np.int64, maps=np.float16, num_positives=np.int64,
                  strides=np.float32)
    for k, dt in dtypes.items():
        assert back[k].dtype == dt and np.array_equal(back[k], rec[k]), k
    assert back['maps'].shape == (2, 5, 7) and back['ori_shape'].tolist() == [5, 7]
    empty = make_record('e', 'e.jpg', (4, 4), np.zeros((0, 4)), [], np.zeros((0, 4, 4)), [], [])
    back = load_bbam_npz(save_bbam_npz(str(tmp_path), empty))
    assert back['boxes'].shape == (0, 4) and back['maps'].shape == (0, 4, 4) and back['labels'].dtype == np.int64
    with pytest.raises(ValueError, match='file name'):
        save_bbam_npz(str(tmp_path), dict(rec, img_id=np.array('a/b')))


def test_generation_writes_the_interface(setup, voc_root, tmp_path):
    opt, ds = setup
    summary = generate_bbam_maps(opt, ds, str(tmp_path), meta=dict(config='c.py', checkpoint='d.pth'), progress=False)
    assert summary['images_done'] == NUM_IMAGES and summary['images_skipped'] == 0
    files = sorted(glob.glob(str(tmp_path / 'maps' / '*.npz')))
    assert [osp.basename(f)[:-4] for f in files] == sorted(ids_of(ds))
    meta = json.load(open(tmp_path / 'maps' / 'meta.json'))
    assert meta['classes'] == ['circle', 'square', 'triangle', 'star'] and meta['checkpoint'] == 'd.pth'
    n_pos = n_obj = 0
    for f in files:
        r = load_bbam_npz(f)
        inst = load_voc_instances(voc_root, r['img_id'])
        n = len(inst['labels'])
        assert r['ori_shape'].tolist() == [64, 64] and r['maps'].shape == (n, 64, 64)
        assert np.array_equal(r['boxes'], inst['boxes']) and np.array_equal(r['labels'], inst['labels'])
        assert osp.isfile(r['img_path']) and osp.isabs(r['img_path'])
        assert r['maps'].min() >= 0 and r['maps'].max() <= 1
        assert (r['strides'] > 4.0).all() and (r['strides'] <= 16.0).all()  # s = 4 + 12 sqrt(a) (shapes config)
        for k in range(n):
            if r['num_positives'][k] == 0:
                assert not r['maps'][k].any()  # fallback: all-zero map
            else:
                assert r['maps'][k].max() > 0
        n_pos += int((r['num_positives'] > 0).sum())
        n_obj += n
    assert 0 < n_pos < n_obj and summary['objects'] == n_obj
    assert summary['objects_no_positive'] == n_obj - n_pos


def test_resume_after_a_crash_writes_each_image_once(setup, tmp_path, monkeypatch):
    opt, ds = setup
    writes = []
    real_save = gen.save_bbam_npz

    def crashing_save(maps_dir, record):
        if len(writes) == 2:  # die half-way through writing the third image
            np.savez_compressed(gen._tmp_path(maps_dir, str(record['img_id'])), junk=np.zeros(3))
            raise RuntimeError('simulated crash')
        writes.append(str(record['img_id']))
        return real_save(maps_dir, record)

    monkeypatch.setattr(gen, 'save_bbam_npz', crashing_save)
    with pytest.raises(RuntimeError, match='simulated crash'):
        generate_bbam_maps(opt, ds, str(tmp_path), progress=False)
    assert len(glob.glob(str(tmp_path / 'maps' / '*.npz'))) == 2
    assert len(glob.glob(str(tmp_path / 'maps' / '.*.tmp.npz'))) == 1  # the half-written file

    def counting_save(maps_dir, record):
        writes.append(str(record['img_id']))
        return real_save(maps_dir, record)

    monkeypatch.setattr(gen, 'save_bbam_npz', counting_save)
    summary = generate_bbam_maps(opt, ds, str(tmp_path), progress=False)
    assert summary['images_skipped'] == 2 and summary['images_done'] == NUM_IMAGES - 2
    assert sorted(writes) == sorted(ids_of(ds))  # every image written exactly once over both runs
    assert not glob.glob(str(tmp_path / 'maps' / '.*'))  # stale temporary file removed
    for f in glob.glob(str(tmp_path / 'maps' / '*.npz')):
        load_bbam_npz(f)  # all complete
    again = generate_bbam_maps(opt, ds, str(tmp_path), progress=False)
    assert again['images_done'] == 0 and again['images_skipped'] == NUM_IMAGES


def test_shards_cover_every_image_once(setup, tmp_path):
    opt, ds = setup
    assert shard_indices(7, (1, 3)) == [1, 4]
    assert parse_shard('2/4') == (2, 4)
    for bad in ('4/4', '1', 'a/b', '-1/2'):
        with pytest.raises(ValueError, match='shard'):
            parse_shard(bad)
    seen = []
    for i in range(3):
        out = str(tmp_path / f'run{i}')
        s = generate_bbam_maps(opt, ds, out, shard=(i, 3), progress=False)
        files = [osp.basename(f)[:-4] for f in glob.glob(osp.join(out, 'maps', '*.npz'))]
        assert s['images_done'] == len(files) == len(shard_indices(len(ds), (i, 3)))
        seen += files
    assert sorted(seen) == sorted(ids_of(ds))
    # shards of one run share a folder: each writes its own images only
    shared = str(tmp_path / 'shared')
    done = [generate_bbam_maps(opt, ds, shared, shard=(i, 2), progress=False)['images_done'] for i in range(2)]
    assert sum(done) == NUM_IMAGES and len(glob.glob(osp.join(shared, 'maps', '*.npz'))) == NUM_IMAGES
    lim = generate_bbam_maps(opt, ds, str(tmp_path / 'lim'), limit=2, progress=False)
    assert lim['images_done'] == 2 and lim['images_in_shard'] == 2


def test_batch_plan():
    assert plan_batches([2, 3, 1, 5, 0], 'batched', 4) == [[0], [1, 2], [3], [4]]
    assert plan_batches([1, 1, 1], 'batched', 8) == [[0, 1, 2]]
    assert plan_batches([2, 3], 'per_object', 8) == [[0], [1]]


def test_image_without_boxes_gets_empty_arrays(voc_root, tmp_path):
    import shutil
    root = str(tmp_path / 'voc')
    shutil.copytree(voc_root, root)
    xml = osp.join(root, 'Annotations', '000001.xml')
    text = open(xml).read()
    open(xml, 'w').write(text[:text.index('<object>')] + '</annotation>\n')
    opt, ds = build_from_config(small_cfg(root), None)
    s = generate_bbam_maps(biased(opt), ds, str(tmp_path / 'out'), progress=False)
    assert s['images_done'] == NUM_IMAGES
    r = load_bbam_npz(str(tmp_path / 'out' / 'maps' / '000001.npz'))
    assert r['boxes'].shape == (0, 4) and r['maps'].shape == (0, 64, 64) and r['num_positives'].shape == (0,)
    assert r['ori_shape'].tolist() == [64, 64]


def test_meta_mismatch_is_an_error(setup, tmp_path):
    opt, ds = setup
    generate_bbam_maps(opt, ds, str(tmp_path), limit=1, meta=dict(checkpoint='a.pth'), progress=False)
    with pytest.raises(ValueError, match='checkpoint'):
        generate_bbam_maps(opt, ds, str(tmp_path), limit=1, meta=dict(checkpoint='b.pth'), progress=False)


def test_tool_end_to_end(setup, voc_root, tmp_path):
    opt, _ = setup
    ckpt = str(tmp_path / 'det.pth')
    torch.save(dict(state_dict=opt.detector.state_dict(), meta=dict()), ckpt)
    out = str(tmp_path / 'out')
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''), OMP_NUM_THREADS='1')
    args = [sys.executable, 'tools/bbam_generate.py', CONFIG, ckpt, '--out', out, '--limit', '3', '--no-progress',
            '--cfg-options', f'bbam_dataset.data_root={voc_root}/', 'bbam_dataset.pipeline.1.scale=(64,64)',
            'bbam.num_steps=1', 'bbam.sampler.num_jitters=20']
    p = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    summary = json.loads(p.stdout.strip().splitlines()[-1])
    assert summary['images_done'] == 3 and summary['images_skipped'] == 0 and summary['strategy'] == 'batched'
    meta = json.load(open(osp.join(out, 'maps', 'meta.json')))
    assert meta['checkpoint'] == ckpt and meta['bbam']['num_steps'] == 1


def test_tool_rejects_bad_arguments(capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location('bbam_generate_tool', osp.join(REPO, 'tools', 'bbam_generate.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main([CONFIG, 'x.pth', '--out', 'unused', '--shard', '3/2']) == 1
    assert 'shard' in capsys.readouterr().err
    assert tool.main([CONFIG, 'x.pth', '--out', 'unused', '--device', 'tpu']) == 1
    assert tool.main([CONFIG, '/nonexistent/x.pth', '--out', 'unused']) == 1
    assert 'not found' in capsys.readouterr().err
