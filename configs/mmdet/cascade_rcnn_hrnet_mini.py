"""The mini preset's Cascade R-CNN: the same HRNet + HRFPN cascade, narrow enough for a CPU.

Backbone, neck, anchors, proposals and input as in ``faster_rcnn_hrnet_mini.py``; the three
cascade stages keep their IoU thresholds (0.5, 0.6, 0.7) with small shared-FC heads.
"""

_base_ = "./cascade_rcnn_hrnet.py"

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
        bbox_head=[
            dict(
                type="Shared2FCBBoxHead",
                in_channels=neck_channels,
                fc_out_channels=128,
                roi_feat_size=7,
                num_classes=1,
                bbox_coder=dict(
                    type="DeltaXYWHBBoxCoder",
                    target_means=[0.0, 0.0, 0.0, 0.0],
                    target_stds=stds,
                ),
                reg_class_agnostic=True,
                loss_cls=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0),
                loss_bbox=dict(type="SmoothL1Loss", beta=1.0, loss_weight=1.0),
            )
            for stds in ([0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067])
        ],
    ),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=600, max_per_img=300),
        rcnn=[
            dict(
                assigner=dict(
                    type="MaxIoUAssigner",
                    pos_iou_thr=iou,
                    neg_iou_thr=iou,
                    min_pos_iou=iou,
                    match_low_quality=False,
                    ignore_iof_thr=-1,
                ),
                sampler=dict(
                    type="RandomSampler",
                    num=128,
                    pos_fraction=0.25,
                    neg_pos_ub=-1,
                    add_gt_as_proposals=True,
                ),
                pos_weight=-1,
                debug=False,
            )
            for iou in (0.5, 0.6, 0.7)
        ],
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
