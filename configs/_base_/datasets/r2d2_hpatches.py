# HPatches sequences, D2-Net protocol: pairs (1, k), k = 2..6, of the 108 sequences left once the eight
# high-resolution ones are excluded (540 pairs: 52 i_* illumination, 56 v_* viewpoint sequences); mutual-NN
# matching and MMA@1..10 px (mean of per-pair accuracies), reported overall and per split.
hpatches_root = 'data/hpatches-sequences-release/'
test_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=False, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='HPatchesPairDataset', data_root=hpatches_root, ext='.ppm'))
test_evaluator = dict(type='HPatchesMMAMetric', thresholds=(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), top_k=None)
test_cfg = dict(type='TestLoop')
