import pytest

from yuzhi.accounts import uscc
from yuzhi.errors import InvalidInput


def test_published_example_check_character():
    # 91350100M000100Y43 is the example code printed in GB 32100-2015 explanations; its check is '3'
    assert uscc.check_character("91350100M000100Y4") == "3"
    assert uscc.parse("91350100m000100y43").code == "91350100M000100Y43"


def test_weights_are_powers_of_three_mod_31():
    assert uscc.WEIGHTS[:6] == (1, 3, 9, 27, 19, 26)


@pytest.mark.parametrize(("code", "needle"), [
    ("91350100M000100Y4", "18 characters"),
    ("91350100M000100Y44", "check character"),
    ("91350100M0001O0Y43", "not allowed"),
])
def test_bad_codes_name_the_problem(code, needle):
    with pytest.raises(InvalidInput) as exc:
        uscc.parse(code)
    assert needle in exc.value.message
    assert exc.value.field == "uscc"
    assert exc.value.fix


def test_henan_unit_rules():
    henan = uscc.make("91410100AAAAAAAA0")
    assert uscc.parse_henan_unit(henan).region == "410100"
    with pytest.raises(InvalidInput, match="outside Henan"):
        uscc.parse_henan_unit("91350100M000100Y43")
    with pytest.raises(InvalidInput, match="individual"):
        uscc.parse_henan_unit(uscc.make("92410100AAAAAAAA0"))
