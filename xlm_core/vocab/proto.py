"""The few fields of a SentencePiece `ModelProto` we need, read from the protobuf wire format.

`sentencepiece_model_pb2` needs the `protobuf` package, which is not a dependency; these three
fields are all the export and the checks use, and the wire format is stable."""

from __future__ import annotations

from dataclasses import dataclass

# Field numbers in sentencepiece_model.proto.
_MODEL_TRAINER_SPEC, _MODEL_NORMALIZER_SPEC = 2, 3
_TRAINER_MODEL_TYPE, _TRAINER_BYTE_FALLBACK = 3, 35
_NORMALIZER_CHARSMAP = 2
MODEL_TYPES = {1: "unigram", 2: "bpe", 3: "word", 4: "char"}


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    out = shift = 0
    while True:
        b = buf[i]
        i += 1
        out |= (b & 0x7F) << shift
        if b < 0x80:
            return out, i
        shift += 7


def _fields(buf: bytes) -> dict[int, list]:
    """field number -> values (ints for varints, bytes for length-delimited); fixed ones skipped."""
    out: dict[int, list] = {}
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            val, i = buf[i : i + n], i + n
        elif wire == 1:
            val, i = None, i + 8
        elif wire == 5:
            val, i = None, i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        out.setdefault(num, []).append(val)
    return out


@dataclass(frozen=True, slots=True)
class SpmModelInfo:
    model_type: str
    byte_fallback: bool
    precompiled_charsmap: bytes


def read_model_info(serialized: bytes) -> SpmModelInfo:
    model = _fields(serialized)
    trainer = _fields(model.get(_MODEL_TRAINER_SPEC, [b""])[0])
    normalizer = _fields(model.get(_MODEL_NORMALIZER_SPEC, [b""])[0])
    return SpmModelInfo(
        model_type=MODEL_TYPES.get(trainer.get(_TRAINER_MODEL_TYPE, [1])[0], "unknown"),  # proto default: UNIGRAM
        byte_fallback=bool(trainer.get(_TRAINER_BYTE_FALLBACK, [0])[0]),
        precompiled_charsmap=normalizer.get(_NORMALIZER_CHARSMAP, [b""])[0],
    )
