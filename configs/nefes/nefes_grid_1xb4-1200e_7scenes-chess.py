# NeFeS on 7-Scenes chess with the voxel-grid field backend (NeFeSGridField) instead of the MLPs; everything else as
# the paper config. Chess's NeRF frame (s = 0.5, m = (0, 0, 1)) puts the cameras within ~1.5 units of the origin.
_base_ = ['./nefes_mlp_1xb4-1200e_7scenes-chess_paper.py']
grid = dict(type='NeFeSGridField', bounds=((-2.0, -2.0, -2.0), (2.0, 2.0, 2.0)), grid_channels=4, width=64,
            geo_channels=15, dir_freqs=4)
model = dict(nefes=dict(coarse=dict(_delete_=True, **grid, resolutions=(32, 64)),
                        fine=dict(_delete_=True, **grid, resolutions=(32, 64, 128), transient=True,
                                  transient_layers=1)))
# Voxel values learn with a larger step than the MLP decoders (grid-based NeRFs use ~1e-1..1e-2).
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'grids': dict(lr_mult=40.0)}))
