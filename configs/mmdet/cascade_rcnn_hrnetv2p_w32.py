# Cascade R-CNN, HRNetV2p-W32 + HRFPN (Pedestron's CityPersons cascade_hrnet, without its
# mask branch), one class: pedestrian. mmdet's three class-agnostic stage heads, num_classes=1.
_base_ = ["mmdet::hrnet/cascade-rcnn_hrnetv2p-w32-20e_coco.py"]

model = dict(
    roi_head=dict(
        bbox_head=[
            dict(
                type="Shared2FCBBoxHead",
                in_channels=256,
                fc_out_channels=1024,
                roi_feat_size=7,
                num_classes=1,
                bbox_coder=dict(
                    type="DeltaXYWHBBoxCoder", target_means=[0.0] * 4, target_stds=stds
                ),
                reg_class_agnostic=True,
                loss_cls=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0),
                loss_bbox=dict(type="SmoothL1Loss", beta=1.0, loss_weight=1.0),
            )
            for stds in ([0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067])
        ]
    )
)
