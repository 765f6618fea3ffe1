"""The development token key generated under var/ (issue 14 review, item 3): the server and worker
processes of ``jisr serve`` may both ask for it on first start; both must end up with the same key."""

import stat
import threading
from pathlib import Path

from jisr.core.config import Settings


def test_the_generated_key_is_private_and_stable(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, secret_key="")
    key = settings.signing_key()
    assert len(key) > 40
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert Settings(var_dir=tmp_path, secret_key="").signing_key() == key


def test_a_key_file_another_process_is_still_writing_is_waited_for(tmp_path: Path) -> None:
    """The other process created the file (exclusively) and has not written the key yet: reading an
    empty key would sign tokens the other process refuses."""
    path = tmp_path / "secret_key"
    path.touch(mode=0o600)
    writer = threading.Timer(0.2, path.write_text, args=("the-other-process-key",))
    writer.start()
    try:
        assert Settings(var_dir=tmp_path, secret_key="").signing_key() == "the-other-process-key"
    finally:
        writer.join()
