"""tf.summary.image, audio and text: PNG and WAV files and string tensors in Summary protos,
as TensorFlow writes them and TensorBoard reads them."""
import io
import pathlib
import struct
import wave
import zlib

import numpy as np
import pytest

import tensorlib as tf

summary_pb2 = pytest.importorskip("tensorboard.compat.proto.summary_pb2")
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "summaries"


def decode_png(data):
    """Pixels of an 8-bit, unfiltered, non-interlaced PNG as [height, width, channels]."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 2: 3, 6: 4}[color]
    assert depth == 8 and b"IEND" in chunks
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8)
    rows = raw.reshape(height, 1 + width * channels)
    assert not rows[:, 0].any()  # filter type 0 on every row
    return rows[:, 1:].reshape(height, width, channels)


def run_summary(summary):
    with tf.Session() as sess:
        return summary_pb2.Summary.FromString(sess.run(summary))


@pytest.mark.parametrize("name", ["non_negative", "signed", "mostly_negative", "unit_range"])
def test_image_summary_pixels_and_tags_match_tensorflow(name):
    fixture = np.load(FIXTURES / "image_summaries.npz")
    summary = run_summary(tf.summary.image(name, fixture[name], max_outputs=4))
    assert [v.tag for v in summary.value] == list(fixture[name + "_tags"])
    for value, expected in zip(summary.value, fixture[name + "_pixels"]):
        assert (value.image.height, value.image.width) == expected.shape[:2]
        assert value.image.colorspace == expected.shape[2]
        np.testing.assert_array_equal(decode_png(value.image.encoded_image_string), expected)


def test_image_summary_limits_outputs_and_checks_shapes():
    images = np.zeros((5, 2, 2, 3), np.float32)
    summary = run_summary(tf.summary.image("one", images, max_outputs=1))
    assert [v.tag for v in summary.value] == ["one/image"]
    with pytest.raises(ValueError, match="4-D"):
        tf.summary.image("bad", np.zeros((2, 2, 3), np.float32))
    x = tf.placeholder(tf.float32, [1, 2, 2, None])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="last dim 1, 3, or 4"):
            sess.run(tf.summary.image("two_channels", x), {x: np.zeros((1, 2, 2, 2))})


def test_pixels_with_nan_or_inf_show_red():
    image = np.array([[[[0.5, 0.2, 0.1], [np.nan, 0.0, 1.0]]]], np.float32)
    (value,) = run_summary(tf.summary.image("bad", image, max_outputs=1)).value
    np.testing.assert_array_equal(decode_png(value.image.encoded_image_string),
                                  [[[127, 51, 25], [255, 0, 0]]])


def test_large_images_span_several_stored_blocks():
    rng = np.random.RandomState(1)
    image = rng.uniform(0, 1, (1, 200, 150, 3)).astype(np.float32)
    (value,) = run_summary(tf.summary.image("big", image, max_outputs=1)).value
    expected = (image[0] * (np.float32(255) / image.max())).astype(np.uint8)  # truncated
    np.testing.assert_array_equal(decode_png(value.image.encoded_image_string), expected)


def test_audio_summary_writes_16_bit_wav():
    t = np.linspace(0, 1, 800, dtype=np.float32)
    sounds = np.stack([np.sin(2 * np.pi * 5 * t), np.clip(3 * t - 1, -1, 1)])[:, :, None]
    summary = run_summary(tf.summary.audio("voice", sounds, 8000, max_outputs=2))
    assert [v.tag for v in summary.value] == ["voice/audio/0", "voice/audio/1"]
    for value, sound in zip(summary.value, sounds):
        assert value.audio.sample_rate == 8000 and value.audio.content_type == "audio/wav"
        assert (value.audio.num_channels, value.audio.length_frames) == (1, 800)
        with wave.open(io.BytesIO(value.audio.encoded_audio_string)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
            samples = np.frombuffer(w.readframes(800), "<i2")
        scaled = sound[:, 0] * np.float32(32767)
        rounded = np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))  # half away
        np.testing.assert_array_equal(samples, rounded.astype(np.int16))


def test_text_summary_holds_the_strings_for_the_text_plugin():
    summary = run_summary(tf.summary.text("notes", tf.constant([["a", "b"], ["c", "**d**"]])))
    (value,) = summary.value
    assert value.tag == "notes" and value.metadata.plugin_data.plugin_name == "text"
    np.testing.assert_array_equal(tensor_util.make_ndarray(value.tensor),
                                  np.array([[b"a", b"b"], [b"c", b"**d**"]], dtype=object))


def test_tensorboard_reads_images_and_audio_from_event_files(tmp_path):
    image = tf.placeholder(tf.float32, [None, 3, 3, 1])
    merged = tf.summary.merge([tf.summary.image("img", image, max_outputs=1),
                               tf.summary.audio("snd", tf.zeros([1, 10]), 100)])
    writer = tf.summary.FileWriter(str(tmp_path))
    with tf.Session() as sess:
        writer.add_summary(sess.run(merged, {image: np.ones((1, 3, 3, 1))}), global_step=7)
    writer.close()
    acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"images": 0,
                                                                            "audio": 0})
    acc.Reload()
    (img,) = acc.Images("img/image")
    assert (img.step, img.width, img.height) == (7, 3, 3)
    (snd,) = acc.Audio("snd/audio/0")
    assert snd.sample_rate == 100 and snd.length_frames == 10
