# The mini preset's CSP: the csp_r50 code path with a narrow ResNet-18 (base width 16, no
# pretrained weights), 64 channels per neck level (a 192-channel latent) and small inputs.
_base_ = ["./csp_r50.py"]

model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(depth=18, base_channels=16, init_cfg=None),
    neck=dict(in_channels=[32, 64, 128], out_channels=64),
    bbox_head=dict(
        in_channels=192,
        feat_channels=64,
        norm_cfg=dict(type="GN", num_groups=16, requires_grad=True),
    ),
)

# generated 128 x 256 CityPersons scenes, kept at that size
image_scale = (256, 128)
train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True),
    dict(type="Resize", scale=image_scale, keep_ratio=True),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PackDetInputs"),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=image_scale, keep_ratio=True),
    dict(
        type="PackDetInputs",
        meta_keys=("img_id", "img_path", "ori_shape", "img_shape", "scale_factor"),
    ),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
