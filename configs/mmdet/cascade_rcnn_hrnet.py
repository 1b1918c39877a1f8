"""Cascade R-CNN, HRNetV2p-W32 backbone, HRFPN(256) neck: Pedestron's CityPersons detector.

Inherits mmdet's shipped HRNet Cascade R-CNN; one class (pedestrian) in each of the three
stages, no ImageNet download, BatchNorm trained as in Pedestron.
"""

_base_ = "mmdet::hrnet/cascade-rcnn_hrnetv2p-w32-20e_coco.py"

model = dict(
    backbone=dict(init_cfg=None, norm_eval=False),
    roi_head=dict(
        bbox_head=[
            dict(
                type="Shared2FCBBoxHead",
                in_channels=256,
                fc_out_channels=1024,
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
        ]
    ),
    test_cfg=dict(rcnn=dict(score_thr=0.01, max_per_img=100)),
)

# CityPersons as COCO (chanpos.data.citypersons.to_coco); Pedestron's scales
train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True),
    dict(type="RandomResize", scale=[(1216, 608), (2048, 1024)], keep_ratio=True),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PackDetInputs"),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=(2048, 1024), keep_ratio=True),
    dict(
        type="PackDetInputs",
        meta_keys=("img_id", "img_path", "ori_shape", "img_shape", "scale_factor"),
    ),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
