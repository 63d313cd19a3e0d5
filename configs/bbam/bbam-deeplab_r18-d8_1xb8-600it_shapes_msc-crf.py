# The shapes DeepLab-v2 as deeplab-pytorch runs it: MSC (the 128-px image plus 0.5x / 0.75x copies, logits
# max-fused, every branch and the fused map supervised) and a dense CRF on the test predictions. The CRF settings
# are deeplab-pytorch's (configs/voc12.yaml) with the bilateral sxy scaled to 128-px images like the BBAM shapes
# post-processing (67 -> 17, about 1/4).
_base_ = './bbam-deeplab_r18-d8_1xb8-600it_shapes.py'
model = dict(
    type='wsl.MSCEncoderDecoder',
    msc_scales=(0.5, 0.75),
    msc_fusion='max',
    msc_train=True,
    test_crf=dict(iterations=10, gaussian_sxy=1.0, gaussian_compat=3.0, bilateral_sxy=17.0, bilateral_srgb=3.0,
                  bilateral_compat=4.0))
