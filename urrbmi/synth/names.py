"""Chinese names for synthetic residents.

Surnames are the most common ones in the order of the 2020 national household-registration name
report (王 李 张 刘 陈 …): the top ten with the report's shares (王 7.1% … 30.7% for the top
five), the rest falling off like a power law. Given names are one (about 25%) or two characters from pools of
characters common in men's and women's names.
"""

from __future__ import annotations

import random
from itertools import accumulate

SURNAMES: tuple[str, ...] = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁"
    "任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱"
    "戴严莫孔向常汤康易乔赖文施洪辛柯庄"
)
# Shares (%) of the ten commonest, then a tail falling off like a power law.
_TOP = (7.1, 7.0, 6.7, 5.4, 4.5, 3.1, 2.4, 2.2, 2.0, 1.8)
_SURNAME_CUM = tuple(
    accumulate(_TOP[i] if i < len(_TOP) else 1.7 * (10 / i) ** 0.9 for i in range(len(SURNAMES)))
)

_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志文海峰成东亮兵良"
_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英萍红燕梅琳莉兰凤洁琴云莲倩婷雪慧颖佳欣悦晶丹蕾怡梦雨思妍"
_EITHER = "子晓佳一文俊嘉思家明永春金玉海小"


def surname(rng: random.Random) -> str:
    return rng.choices(SURNAMES, cum_weights=_SURNAME_CUM)[0]


def given_name(rng: random.Random, sex: str) -> str:
    pool = _MALE if sex == "M" else _FEMALE
    if rng.random() < 0.25:
        return rng.choice(pool)
    first = rng.choice(_EITHER) if rng.random() < 0.3 else rng.choice(pool)
    return first + rng.choice(pool)


def full_name(rng: random.Random, sex: str, family: str | None = None) -> str:
    """A full name; ``family`` (the father's surname) is used when given."""
    return (family or surname(rng)) + given_name(rng, sex)


# Names that sound the same and are often mistyped one for another in department lists.
HOMOPHONES: dict[str, str] = {
    "伟": "玮",
    "玮": "伟",
    "丽": "莉",
    "莉": "丽",
    "静": "菁",
    "娟": "鹃",
    "明": "铭",
    "华": "桦",
    "军": "君",
    "红": "虹",
    "英": "瑛",
    "平": "萍",
    "萍": "平",
    "峰": "锋",
    "辉": "晖",
    "杰": "洁",
    "涛": "韬",
    "芳": "方",
    "敏": "民",
    "林": "琳",
    "琳": "林",
    "霞": "侠",
    "燕": "艳",
    "艳": "燕",
}


def misspell(rng: random.Random, name: str) -> str:
    """The same person's name as another department typed it: a homophone or a changed character."""
    for i in range(len(name) - 1, 0, -1):
        if name[i] in HOMOPHONES:
            return name[:i] + HOMOPHONES[name[i]] + name[i + 1 :]
    other = rng.choice(_MALE + _FEMALE)
    while other == name[-1]:
        other = rng.choice(_MALE + _FEMALE)
    return name[:-1] + other
