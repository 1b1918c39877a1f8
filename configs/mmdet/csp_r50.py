# CSP, ResNet-50 (Liu et al., CVPR 2019) laid out as Pedestron's CityPersons csp_r50, so its
# converted checkpoint (chanpos.detect.convert) loads strictly. mmdet 3 ships no CSP: the
# neck and head are registered by chanpos.detect.csp; the detector is SingleStageDetector.
_base_ = ["mmdet::_base_/default_runtime.py"]
custom_imports = dict(imports=["chanpos.detect.csp"], allow_failed_imports=False)

model = dict(
    type="SingleStageDetector",
    data_preprocessor=dict(
        type="DetDataPreprocessor",
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=128,
    ),
    backbone=dict(
        type="ResNet",
        depth=50,
        num_stages=4,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        out_indices=(1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type="BN", requires_grad=True),
        norm_eval=False,
        style="pytorch",
        init_cfg=dict(type="Pretrained", checkpoint="torchvision://resnet50"),
    ),
    neck=dict(type="CSPNeck", in_channels=[512, 1024, 2048], out_channels=256, factors=(2, 4, 4)),
    bbox_head=dict(
        type="CSPHead",
        in_channels=768,
        feat_channels=256,
        stride=4,
        shared_conv=False,
        pred_kernel_size=3,
        norm_cfg=dict(type="GN", num_groups=32, requires_grad=True),
        loss_weights=dict(center=0.01, scale=1.0, offset=0.1),
    ),
    train_cfg=None,
    test_cfg=dict(
        nms_pre=1000, score_thr=0.1, nms=dict(type="nms", iou_threshold=0.5), max_per_img=100
    ),
)
optim_wrapper = dict(type="OptimWrapper", optimizer=dict(type="Adam", lr=2e-4))

# CityPersons as COCO (chanpos.data.citypersons.to_coco); Pedestron's CSP trains on 1280 x 640
# crops of the frames and tests on the full 2048 x 1024 frames
train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True),
    dict(type="RandomResize", scale=[(1024, 512), (1536, 768)], keep_ratio=True),
    dict(type="RandomCrop", crop_size=(640, 1280), allow_negative_crop=True),
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
