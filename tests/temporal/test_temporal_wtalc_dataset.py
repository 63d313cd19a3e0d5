"""W-TALC loader on fixtures written by the test (Python-2 pickles), THUMOS/ANet datasets, the generator."""
import os
import os.path as osp

import numpy as np
import pytest

from wsl.datasets.synthetic.wtalc import make_wtalc_synthetic, save_py2_object_array
from wsl.registry import DATASETS
from wsl.temporal.datasets import THUMOS14_CLASSES, load_annotations, load_features


# ------------------------------------------------------------------ a Python-2 numpy pickle by hand
def _s(b: bytes) -> bytes:
    """Python 2 ``str`` (SHORT_BINSTRING / BINSTRING)."""
    return b'U' + bytes([len(b)]) + b if len(b) < 256 else b'T' + len(b).to_bytes(4, 'little') + b


def _int(i: int) -> bytes:
    return b'J' + int(i).to_bytes(4, 'little', signed=True)


def _dtype(code: bytes, order: bytes, flags: int) -> bytes:
    return (b'cnumpy\ndtype\n' + _s(code) + b'K\x00K\x01\x87R' + b'(K\x03' + _s(order) + b'NNN' + _int(-1) + _int(-1)
            + _int(flags) + b'tb')


def _ndarray(shape, dtype: bytes, payload: bytes) -> bytes:
    shp = b'(' + b''.join(_int(n) for n in shape) + b't'
    return (b'cnumpy.core.multiarray\n_reconstruct\n' + b'cnumpy\nndarray\n' + b'K\x00\x85' + _s(b'b') + b'\x87R'
            + b'(K\x01' + shp + dtype + b'\x89' + payload + b'tb')


def write_py2_features(path, arrays):
    """What Python 2 + numpy 1.x wrote for ``np.save(path, object_array_of_float32_arrays)``."""
    items = b''.join(_ndarray(a.shape, _dtype(b'f4', b'<', 0), _s(a.astype('<f4').tobytes())) for a in arrays)
    body = _ndarray((len(arrays), ), _dtype(b'O8', b'|', 63), b']' + b'(' + items + b'e')
    with open(path, 'wb') as f:
        np.lib.format.write_array_header_1_0(f, dict(descr='|O', fortran_order=False, shape=(len(arrays), )))
        f.write(b'\x80\x02' + body + b'.')


def _obj(items):
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def write_thumos_fixture(root, feats, names=None, classes=THUMOS14_CLASSES):
    """3 videos: 2 'validation' (train), 1 'test' (eval), annotations as W-TALC ships them (bytes strings)."""
    ann = osp.join(root, 'Thumos14reduced-Annotations')
    os.makedirs(ann, exist_ok=True)
    write_py2_features(osp.join(root, 'Thumos14reduced-I3D-JOINTFeatures.npy'), feats)
    names = names or ['video_validation_0000051', 'video_validation_0000052', 'video_test_0000004']
    np.save(osp.join(ann, 'videoname.npy'), np.array([n.encode() for n in names]))
    np.save(osp.join(ann, 'subset.npy'), np.array([b'validation', b'validation', b'test'][:len(names)]))
    np.save(osp.join(ann, 'classlist.npy'), np.array([c.encode() for c in classes]))
    np.save(osp.join(ann, 'labels_all.npy'), _obj([['Diving'], ['Shotput', 'Diving'], ['Billiards']][:len(names)]))
    seg_labels = [['Diving'], ['Shotput', 'Diving'], ['Billiards', 'Billiards']]
    np.save(osp.join(ann, 'labels.npy'), _obj(seg_labels[:len(names)]))
    np.save(osp.join(ann, 'segments.npy'),
            _obj([[[0.5, 2.0]], [[1.0, 3.0], [4.0, 5.0]], [[0.0, 1.28], [3.2, 6.4]]][:len(names)]))
    np.save(osp.join(ann, 'duration.npy'), np.array([[8.0], [9.0], [10.0]][:len(names)]))
    # official test GT: per class rows [7-digit id, start_frac, end_frac]; only Billiards (2) has rows
    per_class = [np.zeros((0, 3), dtype=object) for _ in classes]
    per_class[2] = np.array([['0000004', 0.1, 0.3]], dtype=object)
    np.save(osp.join(ann, 'test_gt_segments.npy'), _obj(per_class))
    with open(osp.join(ann, 'Ambiguous_test.txt'), 'w') as f:
        f.write('video_test_0000004  7.0 8.5\n')
    return root


@pytest.fixture
def feats():
    rng = np.random.default_rng(0)
    return [rng.random((n, 2048)).astype(np.float32) for n in (12, 9, 16)]


def test_load_python2_pickled_features(tmp_path, feats):
    path = str(tmp_path / 'f.npy')
    write_py2_features(path, feats)
    with pytest.raises(Exception):  # a Python-2 pickle needs encoding='bytes'
        np.load(path, allow_pickle=True)
    got = load_features(path)
    assert len(got) == 3 and all(np.array_equal(a, b) and a.dtype == np.float32 for a, b in zip(got, feats))
    # the generator's writer produces the same kind of file
    path2 = str(tmp_path / 'g.npy')
    save_py2_object_array(path2, feats)
    assert all(np.array_equal(a, b) for a, b in zip(load_features(path2), feats))
    write_py2_features(path, [feats[0], feats[1][:, :1024]])
    with pytest.raises(ValueError, match=r'f.npy: video 1 has features of shape \(9, 1024\), expected \(T, 2048\)'):
        load_features(path)
    with pytest.raises(FileNotFoundError, match='JOINTFeatures'):
        load_features(str(tmp_path / 'missing.npy'))


def test_thumos_dataset_splits_gt_sets_and_ambiguous(tmp_path, feats):
    root = write_thumos_fixture(str(tmp_path), feats)
    train = DATASETS.build(dict(type='Thumos14WTALCDataset', data_root=root, split='train'))
    assert len(train) == 2 and train.metainfo['classes'] == THUMOS14_CLASSES
    item = train[1]
    assert item['video_name'] == 'video_validation_0000052' and item['features'].shape == (9, 2048)
    assert item['gt_label'] == [15, 7]  # Shotput, Diving
    np.testing.assert_array_equal(item['features'], feats[1])
    test = DATASETS.build(dict(type='Thumos14WTALCDataset', data_root=root, split='test'))
    info = test[0]
    np.testing.assert_allclose(info['gt_segments'], [[0.0, 1.28], [3.2, 6.4]])
    assert info['gt_labels'].tolist() == [2, 2] and info['duration'] == 10.0 and info['num_snippets'] == 16
    np.testing.assert_allclose(info['ambiguous_segments'], [[7.0, 8.5]])
    official = DATASETS.build(dict(type='Thumos14WTALCDataset', data_root=root, split='test',
                                   gt_source='test_gt_segments'))
    np.testing.assert_allclose(official[0]['gt_segments'], [[1.0, 3.0]])  # fractions × 10 s duration
    relabel = DATASETS.build(dict(type='Thumos14WTALCDataset', data_root=root, split='train', video_labels='segments'))
    assert relabel[1]['gt_label'] == [7, 15]


def test_loader_errors_name_the_file(tmp_path, feats):
    root = write_thumos_fixture(str(tmp_path), feats)
    ann = osp.join(root, 'Thumos14reduced-Annotations')
    # features for 3 videos but annotations for 2
    np.save(osp.join(ann, 'subset.npy'), np.array([b'validation', b'test']))
    with pytest.raises(ValueError, match='subset.npy: 2 entries'):
        load_annotations(ann)
    write_thumos_fixture(str(tmp_path), feats[:2])
    with pytest.raises(ValueError, match='2 videos'):
        DATASETS.build(dict(type='Thumos14WTALCDataset', data_root=root))
    write_thumos_fixture(str(tmp_path), feats, classes=THUMOS14_CLASSES[::-1])
    with pytest.raises(ValueError, match='Thumos14reduced'):
        DATASETS.build(dict(type='Thumos14WTALCDataset', data_root=root))
    os.remove(osp.join(ann, 'labels_all.npy'))
    with pytest.raises(FileNotFoundError, match='labels_all.npy'):
        load_annotations(ann)


def test_activitynet_drops_short_videos(tmp_path):
    feats = [np.ones((n, 2048), np.float32) for n in (5, 6, 12)]
    feats[2][8:] = 0  # 8 valid snippets
    out = make_wtalc_synthetic(str(tmp_path), name='ActivityNet1.2', num_classes=100, num_train=3, num_test=0,
                               feat_dim=2048, length_range=(12, 12), instance_len_range=(2, 3), max_instances=1,
                               subsets=('training', 'validation'), seed=1)
    save_py2_object_array(out['feature_file'], feats)
    np.save(osp.join(out['ann_dir'], 'classlist.npy'), np.array([c.encode() for c in _anet_classes()]))
    classes = _anet_classes()
    np.save(osp.join(out['ann_dir'], 'labels_all.npy'), _obj([[classes[0]]] * 3))
    np.save(osp.join(out['ann_dir'], 'labels.npy'), _obj([[classes[0]]] * 3))
    ds = DATASETS.build(dict(type='ActivityNet12WTALCDataset', data_root=str(tmp_path), split='train'))
    assert [d['num_snippets'] for d in ds] == [6, 12]  # the 5-snippet video is removed


def _anet_classes():
    from wsl.temporal.datasets import ACTIVITYNET12_CLASSES
    assert len(ACTIVITYNET12_CLASSES) == 100 and 'Plataform diving' in ACTIVITYNET12_CLASSES
    return ACTIVITYNET12_CLASSES


def test_generator_is_deterministic_realistic_and_loadable(tmp_path):
    kw = dict(num_classes=4, num_train=12, num_test=6, feat_dim=64, length_range=(40, 80), multi_label_prob=0.4)
    a = make_wtalc_synthetic(str(tmp_path / 'a'), seed=3, **kw)
    b = make_wtalc_synthetic(str(tmp_path / 'b'), seed=3, **kw)
    c = make_wtalc_synthetic(str(tmp_path / 'c'), seed=4, **kw)
    fa, fb, fc = (load_features(x['feature_file'], 64) for x in (a, b, c))
    assert all(np.array_equal(x, y) for x, y in zip(fa, fb))
    assert not all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(fa, fc))
    assert a['videos'] == b['videos']
    ds = DATASETS.build(dict(type='WTALCDataset', data_root=str(tmp_path / 'a'), feature_file=osp.basename(
        a['feature_file']), ann_dir=osp.basename(a['ann_dir']), split='test', ambiguous_file='Ambiguous_test.txt',
        feature_dim=64))
    assert len(ds) == 6 and ds.metainfo['classes'] == tuple(a['classes'])
    train = [v for v in a['videos'] if v['subset'] == 'validation']
    assert any(len(v['labels']) == 2 for v in a['videos'])  # multi-label videos
    assert any(len(v['segments']) >= 2 for v in a['videos'])  # several instances
    assert sum(len(d['ambiguous_segments']) for d in ds) > 0  # look-alike context marked in test videos
    for v, f in zip(a['videos'], fa):
        assert (np.abs(f).max(axis=1) > 0).all()  # no padding-like rows
        assert np.all(np.asarray(v['segments'])[:, 1] <= v['duration'] + 1e-9)
    # actions differ from the background: in-segment snippets are farther from the video mean
    v, f = train[0], fa[0]
    inside = np.zeros(len(f), bool)
    for s, e in v['segments']:
        inside[int(round(s / 0.64)):int(round(e / 0.64))] = True
    d = np.linalg.norm(f - f[~inside].mean(0), axis=1)
    assert d[inside].mean() > 1.2 * d[~inside].mean()


def test_generator_rejects_impossible_lengths(tmp_path):
    with pytest.raises(ValueError, match='cannot hold an instance'):
        make_wtalc_synthetic(str(tmp_path), num_train=2, num_test=0, feat_dim=8, length_range=(5, 5),
                             instance_len_range=(4, 4))
