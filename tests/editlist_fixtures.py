"""Edit lists written at test time: OTIO (.otio, FCP 7 XML, FCPXML), pyaaf2 (AAF), hand-written
EDLs and Pro Tools session text. The standard cut, at 25 fps from 01:00:00:00 (frame 90,000):

    DX    dialogue  0-500
    FX    door      0-100
    MX 1  APM_ABC123_01 Dawn   100-600  (source from 250)
    MX 2  Song                 600-900, and Dawn again 580-620 (the same piece on two tracks)
"""

from __future__ import annotations

import wave
from pathlib import Path

SEQ = 90000  # 01:00:00:00 at 25 fps
STANDARD = (
    ("DX", [("dx take 1", "/dx/d1.wav", 0, 0, 500)]),
    ("FX", [("door", "/fx/door.wav", 0, 0, 100)]),
    ("MX 1", [("APM_ABC123_01 Dawn", "/mx/APM_ABC123_01 Dawn.wav", 100, 250, 500)]),
    ("MX 2", [("APM_ABC123_01 Dawn", "/mx/APM_ABC123_01 Dawn.wav", 580, 730, 40),
              ("Song", "/mx/song.wav", 650, 0, 250)]),
)


def otio_timeline(tracks=STANDARD, rate: int = 25, start: int | None = SEQ):  # type: ignore[no-untyped-def]
    import opentimelineio as otio

    def rt(v: int):  # type: ignore[no-untyped-def]
        return otio.opentime.RationalTime(v, rate)

    tl = otio.schema.Timeline(name="EP101")
    if start is not None:
        tl.global_start_time = rt(start)
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    video.append(otio.schema.Clip(name="picture", source_range=otio.opentime.TimeRange(rt(0), rt(1000)),
                                  media_reference=otio.schema.ExternalReference(
                                      target_url="file:///pic/ep101.mov",
                                      available_range=otio.opentime.TimeRange(rt(0), rt(100000)))))
    tl.tracks.append(video)
    for name, clips in tracks:
        track = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Audio)
        pos = 0
        for clip_name, path, at, src, dur in clips:
            if at > pos:
                track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(rt(0), rt(at - pos))))
            track.append(otio.schema.Clip(
                name=clip_name, source_range=otio.opentime.TimeRange(rt(src), rt(dur)),
                media_reference=otio.schema.ExternalReference(
                    target_url="file://" + path.replace(" ", "%20"),
                    available_range=otio.opentime.TimeRange(rt(0), rt(100000)))))
            pos = at + dur
        tl.tracks.append(track)
    return tl


def write_otio(path: Path, adapter: str | None = None, **kw) -> Path:  # type: ignore[no-untyped-def]
    import opentimelineio as otio

    extra = {}
    if adapter == "otioz":  # the bundle would copy media files; ours exist only as names
        from opentimelineio.adapters.file_bundle_utils import MediaReferencePolicy

        extra["media_policy"] = MediaReferencePolicy.AllMissing
    otio.adapters.write_to_file(otio_timeline(**kw), str(path), adapter_name=adapter, **extra)
    return path


def _wav(path: Path, seconds: int = 40) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000 * seconds)


def write_aaf(path: Path, tracks=STANDARD, audio: bool = True) -> Path:  # type: ignore[no-untyped-def]
    """An AAF as Avid and Pro Tools write it: a composition of sound slots of source clips of
    master mobs (offline essence, so only small WAV headers are read)."""
    import aaf2

    with aaf2.open(str(path), "w") as f:
        comp = f.create.CompositionMob("EP101")
        f.content.mobs.append(comp)
        if not audio:
            slot = comp.create_picture_slot(25)
            slot.name = "V1"
            slot.segment.components.append(f.create.Filler("picture", 1000))
            return path
        for name, clips in tracks:
            slot = comp.create_sound_slot(25)
            slot.name = name
            pos = 0
            for clip_name, _src_path, at, src, dur in clips:
                if at > pos:
                    slot.segment.components.append(f.create.Filler("sound", at - pos))
                wav = path.parent / (clip_name + ".wav")
                if not wav.exists():
                    _wav(wav)
                master = f.create.MasterMob(clip_name)
                f.content.mobs.append(master)
                master.import_audio_essence(str(wav), 25, offline=True)
                slot.segment.components.append(master.create_source_clip(slot_id=1, start=src, length=dur))
                pos = at + dur
    return path


PROTOOLS_TEXT = """SESSION NAME:\tEP101 Mix
SAMPLE RATE:\t48000.000000
BIT DEPTH:\t24-bit
SESSION START TIMECODE:\t00:59:50:00
TIMECODE FORMAT:\t25 Frame
# OF AUDIO TRACKS:\t4
# OF AUDIO CLIPS:\t5
# OF AUDIO FILES:\t4


O N L I N E  C L I P S  I N  S E S S I O N
CLIP NAME\tSource File
APM_ABC123_01 Dawn-01\tAPM_ABC123_01 Dawn.wav
Song.L\tsong.wav


T R A C K  L I S T I N G
TRACK NAME:\tDIA 1
COMMENTS:\t
USER DELAY:\t0 Samples
STATE:\t
PLUG-INS:\t
CHANNEL \tEVENT   \tCLIP NAME                     \tSTART TIME    \tEND TIME      \tDURATION      \tSTATE
1       \t1       \tdx take 1                     \t01:00:00:00   \t01:00:20:00   \t00:00:20:00   \tUnmuted


TRACK NAME:\tMX A
COMMENTS:\t
USER DELAY:\t0 Samples
STATE:\t
PLUG-INS:\t
CHANNEL \tEVENT   \tCLIP NAME                     \tSTART TIME    \tEND TIME      \tDURATION      \tSTATE
1       \t1       \tAPM_ABC123_01 Dawn-01         \t01:00:04:00   \t01:00:24:00   \t00:00:20:00   \tUnmuted
1       \t2       \tSong.L                        \t01:00:30:00   \t01:00:40:00   \t00:00:10:00   \tMuted
1       \t3       \tSong.L                        \t01:00:40:00   \t01:00:50:00   \t00:00:10:00   \tUnmuted
1       \t4       \t(fade out)                    \t01:00:49:00   \t01:00:50:00   \t00:00:01:00   \tUnmuted


TRACK NAME:\tMX B
COMMENTS:\t
USER DELAY:\t0 Samples
STATE:\tMuted
PLUG-INS:\t
CHANNEL \tEVENT   \tCLIP NAME                     \tSTART TIME    \tEND TIME      \tDURATION      \tSTATE
1       \t1       \tOld Temp Score                \t01:00:00:00   \t01:00:30:00   \t00:00:30:00   \tUnmuted


M A R K E R S  L I S T I N G
#   \tLOCATION     \tTIME REFERENCE    \tUNITS    \tNAME
"""

# Hand-written, as Premiere/Avid write them: AA and A2 events, AUD 3 4, a dissolve pair, comments.
EDL_NDF = """TITLE: EP101 MUSIC CUES
FCM: NON-DROP FRAME

001  AX       V     C        00:00:00:00 00:00:40:00 01:00:00:00 01:00:40:00
* FROM CLIP NAME: EP101_picture.mov

002  AX       AA    C        00:00:10:00 00:00:20:00 01:00:04:00 01:00:14:00
* FROM CLIP NAME: MX_APM_ABC123_01 Dawn.wav
* SOURCE FILE: /Volumes/Music/APM/APM_ABC123_01 Dawn.wav
003  AX       A     C        00:00:20:00 00:00:24:00 01:00:14:00 01:00:18:00
* FROM CLIP NAME: MX_APM_ABC123_01 Dawn.wav
* SOURCE FILE: /Volumes/Music/APM/APM_ABC123_01 Dawn.wav
* COMMENT: the editor's trim, source continues
004  AX       A     C        00:00:24:00 00:00:24:00 01:00:18:00 01:00:18:00
004  AX       A     D    025 00:01:00:00 00:01:12:00 01:00:18:00 01:00:30:00
* FROM CLIP NAME: MX_APM_ABC123_01 Dawn.wav
* TO CLIP NAME: BMGPM_IATS021_5 Rise.wav
005  AX       A2    C        00:00:00:00 00:00:03:00 01:00:05:00 01:00:08:00
* FROM CLIP NAME: SFX_door_slam.wav
006  AX       NONE  C        00:00:00:00 00:00:05:00 01:00:31:00 01:00:36:00
AUD  3    4
* FROM CLIP NAME: Song of the Sea.wav
M2   AX       025.0                00:00:00:00
"""

EDL_DF = """TITLE: EP201 DF
FCM: DROP FRAME

001  BL       A     C        00:00:00;00 00:01:00;02 01:00:00;00 01:01:00;02
* FROM CLIP NAME: MX_Score_Main.wav
002  BL       AA    C        00:00:00;00 00:00:10;00 01:09:59;28 01:10:00;10
* FROM CLIP NAME: MX_Score_End.wav
"""
