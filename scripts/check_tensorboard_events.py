"""Reads an event file the way TensorBoard does and prints what it holds as JSON (for TensorBoardEventsLiveTest).

Usage: scripts/check_tensorboard_events.py EVENT_FILE

Every record goes through TensorBoard's own TFRecord reader, which checks the masked CRC32C of each length and each
payload (DataLossError on a mismatch), and parses as a tensorflow.Event; re-serializing each Event must give back the
exact bytes (so no field was written in a form protobuf would not). The scalars are then loaded with EventAccumulator,
the loader behind TensorBoard's scalar dashboard.
"""
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub import errors, pywrap_tensorflow


def main(path):
    reader = pywrap_tensorflow.PyRecordReader_New(path.encode())
    events, canonical = [], True
    while True:
        try:
            reader.GetNext()
        except errors.OutOfRangeError:
            break
        raw = reader.record()
        event = event_pb2.Event.FromString(raw)
        canonical = canonical and event.SerializeToString() == raw
        events.append(event)
    if not events:
        raise SystemExit(f"{path}: no records")
    acc = EventAccumulator(path, size_guidance={"scalars": 0})
    acc.Reload()
    print(json.dumps({
        "records": len(events),
        "file_version": events[0].file_version,
        "first_wall_time": events[0].wall_time,
        "canonical": canonical,
        "scalars": {tag: [{"step": e.step, "value": e.value, "wall_time": e.wall_time} for e in acc.Scalars(tag)]
                    for tag in acc.Tags()["scalars"]},
    }))


if __name__ == "__main__":
    main(sys.argv[1])
