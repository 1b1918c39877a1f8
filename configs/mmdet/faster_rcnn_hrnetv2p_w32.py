# Faster R-CNN, HRNetV2p-W32 + HRFPN (Pedestron's CityPersons faster_rcnn_hrnet), one class:
# pedestrian. Pedestron's released head has 81 COCO classes: convert it with keep_classes or
# set roi_head.bbox_head.num_classes to match (chanpos.detect.convert).
_base_ = ["mmdet::hrnet/faster-rcnn_hrnetv2p-w32-1x_coco.py"]

model = dict(roi_head=dict(bbox_head=dict(num_classes=1)))
