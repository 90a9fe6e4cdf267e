"""The few fields of a SentencePiece `ModelProto` we need, read from the protobuf wire format.

`sentencepiece_model_pb2` needs the `protobuf` package, which is not a dependency; these three
fields are all the export and the checks use, and the wire format is stable."""

from __future__ import annotations

from dataclasses import dataclass

# Field numbers in sentencepiece_model.proto.
_MODEL_TRAINER_SPEC, _MODEL_NORMALIZER_SPEC = 2, 3
_TRAINER_MODEL_TYPE, _TRAINER_NUM_THREADS, _TRAINER_BYTE_FALLBACK = 3, 16, 35
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


def _raw_fields(buf: bytes) -> list[tuple[int, int, int, int]]:
    """(field number, wire type, start, end) of every top-level field, in order; [start:end] is the
    whole field (key included), so fields can be dropped without re-encoding the rest."""
    out, i = [], 0
    while i < len(buf):
        start = i
        key, i = _varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            _, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            i += n
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        out.append((num, wire, start, i))
    return out


def _encode_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def without_num_threads(serialized: bytes) -> bytes:
    """The model with `trainer_spec.num_threads` removed. SentencePiece records the thread count in
    the model although BPE training gives the same pieces and scores for any count: without this,
    the same vocabulary built on machines with different core counts would hash differently."""
    out = bytearray()
    for num, wire, start, end in _raw_fields(serialized):
        if num != _MODEL_TRAINER_SPEC or wire != 2:
            out += serialized[start:end]
            continue
        _, body_start = _varint(serialized, _varint(serialized, start)[1])
        body = serialized[body_start:end]
        kept = b"".join(body[s:e] for n, _, s, e in _raw_fields(body) if n != _TRAINER_NUM_THREADS)
        out += _encode_varint((num << 3) | 2) + _encode_varint(len(kept)) + kept
    return bytes(out)


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
