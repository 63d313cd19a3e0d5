"""deeplab-pytorch's multi-scale max fusion and test-time dense CRF (``wsl.MSCEncoderDecoder``)."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from wsl.registry import MODELS
from wsl.segmentation.models import DEEPLAB_TEST_CRF, MSCEncoderDecoder, fuse_scales
from wsl.testing import REPO, blurred_square_scene
from wsl.utils import register_all_modules

CONFIG = osp.join(REPO, 'configs', 'bbam', 'bbam-deeplab_r18-d8_1xb8-600it_shapes.py')
MSC_CONFIG = osp.join(REPO, 'configs', 'bbam', 'bbam-deeplab_r18-d8_1xb8-600it_shapes_msc-crf.py')


def _build(**over):
    register_all_modules()
    cfg = Config.fromfile(CONFIG).model
    cfg.type = 'wsl.MSCEncoderDecoder'
    cfg.update(over)
    with DefaultScope.overwrite_default_scope('wsl'):
        model = MODELS.build(cfg)
    assert isinstance(model, MSCEncoderDecoder)
    return model.eval()


def test_fuse_scales_by_hand():
    a = torch.tensor([[[[1.0, 5.0], [-2.0, 0.0]]]])  # (1, 1, 2, 2) full-scale branch
    b = torch.full((1, 1, 1, 1), 2.0)                # a constant half-scale branch upsamples to 2 everywhere
    assert torch.equal(fuse_scales([a, b], 'max'), torch.tensor([[[[2.0, 5.0], [2.0, 2.0]]]]))
    assert torch.allclose(fuse_scales([a, b], 'mean'), torch.tensor([[[[1.5, 3.5], [0.0, 1.0]]]]))
    assert torch.equal(fuse_scales([a], 'max'), a)
    with pytest.raises(ValueError, match='fusion'):
        fuse_scales([a, b], 'sum')


def test_single_scale_equals_encoder_decoder_and_msc_is_the_max_of_the_branches():
    torch.manual_seed(0)
    model = _build(msc_scales=(0.5, 0.75))
    x = torch.randn(2, 3, 64, 64)
    metas = [dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64))] * 2
    with torch.no_grad():
        branches = model.branch_logits(x)
        assert [tuple(t.shape[2:]) for t in branches] == [(8, 8), (4, 4), (6, 6)]  # output stride 8
        fused = torch.stack([branches[0]] + [F.interpolate(t, size=(8, 8), mode='bilinear', align_corners=False)
                                             for t in branches[1:]]).max(0)[0]
        expected = F.interpolate(fused, size=(64, 64), mode='bilinear', align_corners=False)
        assert torch.allclose(model.encode_decode(x, metas), expected, atol=1e-5)
        model.msc_scales = ()
        plain = super(MSCEncoderDecoder, model).encode_decode(x, metas)  # mmseg's EncoderDecoder
        assert torch.allclose(model.encode_decode(x, metas), plain, atol=1e-6)
    with pytest.raises(ValueError, match='msc_fusion'):
        _build(msc_fusion='median')
    with pytest.raises(KeyError, match='unknown CRF'):
        _build(test_crf=dict(sxy=3))


def _samples(n=2, size=64):
    out = []
    for _ in range(n):
        gt = torch.zeros(1, size, size, dtype=torch.long)
        gt[0, 10:30, 10:40] = 2
        s = SegDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size), pad_shape=(size, size)))
        s.gt_sem_seg = PixelData(data=gt)
        out.append(s)
    return out


def test_msc_training_supervises_every_branch_and_the_fused_map():
    torch.manual_seed(0)
    model = _build(msc_scales=(0.5, 0.75)).train()
    x = torch.randn(2, 3, 64, 64)
    losses = model.loss(x, _samples())
    names = {k.split('.')[0] for k in losses}
    assert names == {'decode', 'decode_s50', 'decode_s75', 'decode_fused'}
    # each term is the head's own loss of that branch: the scale-1 term equals the single-scale model's loss
    single = _build(msc_scales=(0.5, 0.75), msc_train=False).train()
    single.load_state_dict(model.state_dict())
    ref = single.loss(x, _samples())
    assert set(ref) == {'decode.loss_balanced_ce', 'decode.acc_seg'}
    assert torch.allclose(losses['decode.loss_balanced_ce'], ref['decode.loss_balanced_ce'])
    total, _ = model.parse_losses(losses)
    assert torch.allclose(total, sum(v for k, v in losses.items() if 'loss' in k))
    total.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def _square_scene(tmp_path):
    """A 64x64 image with a sharp blue square and blurred 2-class logits of it (round corners, 2 px too wide)."""
    img, sq, blur = blurred_square_scene()
    fg = np.log(np.clip(blur, 1e-3, 1)) - np.log(np.clip(1 - blur, 1e-3, 1))
    logits = torch.from_numpy(np.stack([np.zeros_like(fg), fg])[None]).float()  # (1, 2, 64, 64)
    path = str(tmp_path / 'square.png')
    cv2.imwrite(path, img[..., ::-1])  # the file is BGR on disk
    return img, sq, logits, path


def _iou(a, b):
    return (a & b).sum() / (a | b).sum()


def test_test_crf_sharpens_a_blurred_prediction_toward_the_image_edges(tmp_path):
    img, sq, logits, path = _square_scene(tmp_path)
    model = _build(msc_scales=(), test_crf=dict(DEEPLAB_TEST_CRF, bilateral_sxy=20.0))
    model.inference = lambda inputs, metas: logits  # the network's output, fixed
    meta = dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64), img_path=path)
    inputs = torch.zeros(1, 3, 64, 64)
    crf = model.predict(inputs, [SegDataSample(metainfo=meta)])[0]
    raw = logits[0].argmax(0).numpy() == 1
    pred = crf.pred_sem_seg.data[0].numpy() == 1
    assert torch.equal(crf.seg_logits.data, logits[0])  # the logits stay the network's
    assert _iou(pred, sq) > _iou(raw, sq) + 0.05 and _iou(pred, sq) > 0.95
    model.test_crf = None  # off: the plain arg-max
    plain = model.predict(inputs, [SegDataSample(metainfo=meta)])[0]
    assert np.array_equal(plain.pred_sem_seg.data[0].numpy() == 1, raw)


def test_crf_image_from_file_or_from_the_normalised_input(tmp_path):
    img, _, _, path = _square_scene(tmp_path)
    model = _build(msc_scales=())
    pre = model.data_preprocessor  # RGB mean/std normalisation (the shapes config: bgr_to_rgb)
    x = (torch.from_numpy(img).permute(2, 0, 1)[None].float() - pre.mean.view(1, 3, 1, 1)) / pre.std.view(1, 3, 1, 1)
    meta = dict(ori_shape=(64, 64))
    assert np.array_equal(model._crf_image(x, 0, dict(meta, img_path=path)), img)
    assert np.abs(model._crf_image(x, 0, meta).astype(int) - img).max() <= 1
    flipped = dict(meta, flip=True, flip_direction='horizontal')
    assert np.abs(model._crf_image(x.flip(3), 0, flipped).astype(int) - img).max() <= 1
    with pytest.raises(ValueError, match='ori_shape'):
        model._crf_image(x, 0, dict(ori_shape=(32, 64), img_path=path))


def test_msc_crf_config_builds_with_deeplab_pytorch_settings():
    register_all_modules()
    cfg = Config.fromfile(MSC_CONFIG)
    with DefaultScope.overwrite_default_scope('wsl'):
        model = MODELS.build(cfg.model)
    assert isinstance(model, MSCEncoderDecoder)
    assert model.msc_scales == (0.5, 0.75) and model.msc_fusion == 'max' and model.msc_train
    assert model.test_crf['iterations'] == 10 and model.test_crf['bilateral_compat'] == 4.0
    voc = Config.fromfile(osp.join(REPO, 'configs', 'bbam',
                                   'bbam-deeplab_r101-caffe-d8_2xb5-30k_voc12-trainaug_code-parity.py'))
    assert voc.model.type == 'wsl.MSCEncoderDecoder' and voc.model.test_crf == DEEPLAB_TEST_CRF
