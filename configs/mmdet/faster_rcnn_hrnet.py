"""Faster R-CNN, HRNetV2p-W32 backbone, HRFPN(256) neck: Pedestron's CityPersons detector.

Inherits mmdet's shipped HRNet Faster R-CNN; one class (pedestrian), no ImageNet download
(weights come from the converted Pedestron checkpoint), BatchNorm trained as in Pedestron.
Pedestron's released head has 81 COCO classes: chanpos.detect.convert keeps the person row
(``keep_classes``).
"""

_base_ = "mmdet::hrnet/faster-rcnn_hrnetv2p-w32-1x_coco.py"

model = dict(
    backbone=dict(init_cfg=None, norm_eval=False),
    roi_head=dict(bbox_head=dict(num_classes=1)),
    # CityPersons: keep every scored box, the MR^-2 curve runs down to low scores
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
