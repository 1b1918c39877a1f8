"""The mini preset's Faster R-CNN: the same HRNet + HRFPN detector, narrow enough for a CPU.

HRNet stages of 8/16/32/64 channels with one BASIC block each, HRFPN of 32 channels (the latent
whose channels are ranked; paper: 256), a small RoI head, fewer proposals, pedestrian anchors
(height / width 2.44, as CityPersons boxes are drawn) sized for 20-120 px people.
"""

_base_ = "./faster_rcnn_hrnet.py"

neck_channels = 32
model = dict(
    backbone=dict(
        extra=dict(
            stage1=dict(
                num_modules=1, num_branches=1, block="BASIC", num_blocks=(1,), num_channels=(16,)
            ),
            stage2=dict(
                num_modules=1,
                num_branches=2,
                block="BASIC",
                num_blocks=(1, 1),
                num_channels=(8, 16),
            ),
            stage3=dict(
                num_modules=1,
                num_branches=3,
                block="BASIC",
                num_blocks=(1, 1, 1),
                num_channels=(8, 16, 32),
            ),
            stage4=dict(
                num_modules=1,
                num_branches=4,
                block="BASIC",
                num_blocks=(1, 1, 1, 1),
                num_channels=(8, 16, 32, 64),
            ),
        )
    ),
    neck=dict(in_channels=[8, 16, 32, 64], out_channels=neck_channels),
    rpn_head=dict(
        in_channels=neck_channels,
        feat_channels=neck_channels,
        anchor_generator=dict(scales=[5], ratios=[2.44]),
    ),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=neck_channels),
        bbox_head=dict(in_channels=neck_channels, fc_out_channels=128),
    ),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=600, max_per_img=300),
        rcnn=dict(sampler=dict(num=128)),
    ),
    test_cfg=dict(rpn=dict(nms_pre=600, max_per_img=300)),
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
