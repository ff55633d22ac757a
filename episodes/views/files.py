"""Audio, artwork, transcript and chapters files, served with HEAD and byte ranges."""


def episode_audio(request, pk, slug, ext):
    raise NotImplementedError


def show_artwork(request, slug, ext):
    raise NotImplementedError


def episode_artwork(request, pk, ext):
    raise NotImplementedError


def episode_transcript(request, pk, ext):
    raise NotImplementedError


def episode_chapters(request, pk):
    raise NotImplementedError
