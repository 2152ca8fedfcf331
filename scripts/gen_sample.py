#!/usr/bin/env python3
"""Generate the bundled SYNTHETIC sample dataset ``data/stations.geojson``.

The stations written by this script are made up: the brands, names, addresses
and phone numbers are fictional and the locations are random draws around
well-known Beijing neighbourhoods. They are NOT real 户外劳动者暖心驿站 or
公共区域职工之家; the file exists so that the service runs out of the box and the
tests have realistic-looking data.

Usage::

    python3 scripts/gen_sample.py            # (re)write data/stations.geojson
    python3 scripts/gen_sample.py --check    # exit 1 if the file is not what this script makes
    python3 scripts/gen_sample.py --out X    # write somewhere else

Standard library only, Python >= 3.11. Deterministic: everything is drawn from
one ``random.Random(SEED)`` in a fixed order; nothing iterates over a set or
depends on the time. A summary (counts per district, kind, host type, amenity
and opening hours) is printed to stderr after every run, and the invariants
below are asserted before anything is written.

Invariants (see data/README.md):
  * exactly 3,920 ``station`` and 150 ``workers_home`` features;
  * per-district counts proportional to the 2020 census population
    (largest-remainder rounding); workers' homes: 3 per district plus the
    remaining 102 by population;
  * every point inside 115.42-117.51 E, 39.44-41.06 N;
  * no two features at the same coordinates except the three documented
    ``SHARED_BUILDINGS`` pairs;
  * exactly one "望京骑迹24小时智能化工会驿站" (id ``bj-chy-00042``);
  * ``discount_meal`` only at restaurants;
  * features sorted by id.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import Counter
from pathlib import Path

SEED = 20200601
N_STATIONS = 3920
N_HOMES = 150
MIN_HOMES_PER_DISTRICT = 3

LNG_MIN, LNG_MAX = 115.42, 117.51
LAT_MIN, LAT_MAX = 39.44, 41.06

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "data" / "stations.geojson"
GENERATOR = "scripts/gen_sample.py"

AMENITY_KEYS = (
    "water", "charging", "rest", "heating", "cooling",
    "medicine", "microwave", "toilet", "wifi", "discount_meal",
)
HOST_TYPES = (
    "bank", "restaurant", "supermarket", "property_agency",
    "gas_station", "post_office", "union_center", "other",
)

# --------------------------------------------------------------------------
# Districts: 2020 (7th) census resident population and approximate centre of
# the main urban area (copied from shared/beijing-districts.json so that the
# script is self-contained).
# --------------------------------------------------------------------------
# (code, name, population, centre [lng, lat], urban_core)
DISTRICTS = (
    ("dch", "东城区", 708829, (116.416, 39.928), True),
    ("xch", "西城区", 1106214, (116.366, 39.912), True),
    ("chy", "朝阳区", 3452460, (116.443, 39.921), True),
    ("fta", "丰台区", 2019764, (116.287, 39.858), True),
    ("sjs", "石景山区", 567851, (116.223, 39.906), True),
    ("hdn", "海淀区", 3133469, (116.298, 39.959), True),
    ("mtg", "门头沟区", 392606, (116.102, 39.941), False),
    ("fsh", "房山区", 1312778, (116.143, 39.735), False),
    ("tzh", "通州区", 1840295, (116.657, 39.910), False),
    ("shy", "顺义区", 1324044, (116.654, 40.130), False),
    ("chp", "昌平区", 2269487, (116.231, 40.221), False),
    ("dxg", "大兴区", 1993591, (116.341, 39.727), False),
    ("hro", "怀柔区", 441040, (116.632, 40.316), False),
    ("pgu", "平谷区", 457313, (117.121, 40.141), False),
    ("myn", "密云区", 527683, (116.843, 40.377), False),
    ("yqg", "延庆区", 345671, (115.975, 40.457), False),
)

# --------------------------------------------------------------------------
# Anchors: the clusters stations are sprinkled around. Per district, the first
# anchor is the district centre (coordinates from the JSON); anchors marked
# "places" in a comment use the coordinates of shared/beijing-districts.json;
# the others are approximate town / neighbourhood centres (to about a km).
#
# (label, lng, lat, weight, sigma_km, sub-districts (街道/镇/地区), roads)
# label: used in branch names ("望京支行"); sub-districts: used in addresses
# and for the street-level 职工之家; roads: used in addresses.
# --------------------------------------------------------------------------
ANCHORS = {
    "dch": (
        ("张自忠路", 116.416, 39.928, 3, 1.3, ("景山街道", "交道口街道", "东四街道"),
         ("张自忠路", "美术馆后街", "交道口南大街", "地安门东大街")),
        ("东四", 116.417, 39.931, 3, 1.1, ("东四街道", "朝阳门街道", "北新桥街道"),  # places
         ("东四北大街", "朝阳门内大街", "东四十条", "东四西大街")),
        ("王府井", 116.411, 39.914, 3, 1.1, ("东华门街道", "建国门街道"),  # places
         ("王府井大街", "东单北大街", "金宝街", "灯市口大街")),
        ("东直门", 116.434, 39.941, 2, 1.0, ("东直门街道", "北新桥街道"),
         ("东直门内大街", "东直门南大街", "香河园路")),
        ("崇文门", 116.417, 39.899, 2, 1.0, ("崇文门外街道", "东花市街道"),
         ("崇文门外大街", "广渠门内大街", "东花市大街")),
        ("天坛", 116.412, 39.876, 2, 1.1, ("天坛街道", "体育馆路街道", "永定门外街道", "龙潭街道"),
         ("天坛东路", "体育馆路", "永定门外大街", "光明路")),
        ("和平里", 116.418, 39.957, 2, 1.0, ("和平里街道", "安定门街道"),
         ("和平里东街", "和平里中街", "安定门外大街")),
        ("前门", 116.398, 39.897, 1, 0.8, ("前门街道",),
         ("前门东大街", "前门大街", "珠市口东大街")),
    ),
    "xch": (
        ("金融街", 116.366, 39.912, 3, 1.3, ("金融街街道", "新街口街道"),
         ("金融大街", "武定侯街", "太平桥大街", "阜成门内大街")),
        ("西单", 116.374, 39.907, 3, 1.1, ("西长安街街道",),  # places
         ("西单北大街", "宣武门内大街", "灵境胡同")),
        ("西直门", 116.355, 39.940, 2, 1.1, ("展览路街道", "新街口街道"),
         ("西直门南大街", "西直门外大街", "车公庄大街")),
        ("德胜门", 116.378, 39.948, 2, 1.1, ("德胜街道", "什刹海街道"),
         ("德胜门外大街", "新街口外大街", "北三环中路")),
        ("广安门", 116.352, 39.890, 2, 1.1, ("广安门内街道", "牛街街道", "白纸坊街道", "广安门外街道"),
         ("广安门内大街", "牛街", "白广路", "广安门外大街")),
        ("陶然亭", 116.378, 39.878, 2, 1.0, ("陶然亭街道", "天桥街道", "椿树街道", "大栅栏街道"),
         ("太平街", "南纬路", "右安门内大街")),
        ("月坛", 116.345, 39.915, 2, 1.0, ("月坛街道", "展览路街道"),
         ("月坛北街", "三里河路", "南礼士路")),
    ),
    "chy": (
        ("朝外", 116.443, 39.921, 3, 2.0, ("朝外街道", "呼家楼街道"),
         ("朝阳门外大街", "工人体育场东路", "东大桥路", "关东店北街")),
        ("望京", 116.470, 39.996, 4, 1.8, ("望京街道", "东湖街道", "来广营地区"),  # places
         ("阜通东大街", "广顺北大街", "望京街", "利泽中街", "阜安西路")),
        ("国贸", 116.461, 39.909, 3, 1.5, ("建外街道",),  # places
         ("建国门外大街", "东三环中路", "光华路", "景华南街")),
        ("团结湖", 116.462, 39.930, 2, 1.2, ("团结湖街道", "六里屯街道"),  # places
         ("团结湖路", "农展南路", "姚家园路")),
        ("三里屯", 116.455, 39.937, 2, 1.2, ("三里屯街道", "左家庄街道", "麦子店街道"),  # places
         ("三里屯路", "工体北路", "新东路", "农展馆南路")),
        ("双井", 116.462, 39.893, 3, 1.8, ("双井街道", "劲松街道", "潘家园街道"),
         ("广渠路", "东三环南路", "劲松路", "潘家园路")),
        ("亚运村", 116.405, 40.000, 3, 2.0, ("亚运村街道", "大屯街道", "奥运村街道", "安贞街道"),
         ("北辰东路", "慧忠路", "安立路", "北四环中路")),
        ("酒仙桥", 116.492, 39.968, 2, 1.5, ("酒仙桥街道", "将台地区"),
         ("酒仙桥路", "将台路", "万红路")),
        ("常营", 116.598, 39.928, 2, 2.0, ("常营地区", "管庄地区", "平房地区"),
         ("朝阳北路", "常营中路", "管庄路")),
        ("十里堡", 116.500, 39.921, 2, 1.5, ("八里庄街道", "高碑店地区"),
         ("朝阳路", "延静里中街", "高碑店路")),
        ("垡头", 116.520, 39.857, 2, 1.8, ("垡头街道", "王四营地区", "南磨房地区"),
         ("垡头路", "化工路", "东四环南路")),
        ("小关", 116.420, 39.978, 2, 1.3, ("小关街道", "和平街街道", "香河园街道"),
         ("惠新东街", "北土城东路", "小关北里")),
    ),
    "fta": (
        ("丰台", 116.287, 39.858, 3, 1.8, ("丰台街道", "新村街道"),
         ("丰台北路", "丰台南路", "西四环南路", "丰管路")),
        ("丽泽", 116.311, 39.866, 3, 1.3, ("太平桥街道", "右安门街道"),  # places
         ("丽泽路", "菜户营南路", "西三环南路")),
        ("方庄", 116.432, 39.865, 3, 1.3, ("方庄地区", "东铁匠营街道"),
         ("蒲方路", "方庄路", "芳古路")),
        ("大红门", 116.398, 39.838, 2, 1.5, ("大红门街道", "南苑街道"),
         ("南苑路", "大红门西路", "大红门东街")),
        ("马家堡", 116.370, 39.850, 2, 1.3, ("马家堡街道", "西罗园街道"),
         ("马家堡东路", "马家堡西路", "角门路")),
        ("科技园", 116.290, 39.826, 2, 1.5, ("花乡地区",),
         ("富丰路", "海鹰路", "航丰路")),
        ("卢沟桥", 116.225, 39.850, 2, 1.8, ("卢沟桥街道", "长辛店街道", "宛平街道"),
         ("京周公路", "卢沟桥路", "长辛店大街")),
        ("六里桥", 116.310, 39.885, 2, 1.2, ("六里桥街道",),
         ("莲花池西路", "西三环中路", "六里桥南里")),
        ("宋家庄", 116.428, 39.846, 2, 1.3, ("石榴庄街道", "东高地街道"),
         ("宋家庄路", "石榴庄路", "成寿寺路")),
        ("青塔", 116.258, 39.886, 2, 1.3, ("青塔街道", "五里店街道"),
         ("青塔西路", "岳各庄北路", "大瓦窑路")),
    ),
    "sjs": (
        ("八角", 116.223, 39.906, 3, 1.4, ("八角街道", "老山街道"),
         ("石景山路", "八角西街", "杨庄东街")),
        ("鲁谷", 116.243, 39.891, 2, 1.2, ("鲁谷街道",),
         ("鲁谷路", "鲁谷东街", "重聚园路")),
        ("古城", 116.190, 39.907, 2, 1.2, ("古城街道", "广宁街道"),
         ("古城大街", "古城南路", "石景山路")),
        ("苹果园", 116.178, 39.928, 2, 1.2, ("苹果园街道", "金顶街街道", "五里坨街道"),
         ("苹果园路", "阜石路", "金顶街")),
        ("八宝山", 116.250, 39.907, 1, 1.0, ("八宝山街道",),
         ("石景山路", "玉泉路", "永乐东街")),
    ),
    "hdn": (
        ("世纪城", 116.298, 39.959, 3, 1.8, ("四季青地区", "曙光街道"),
         ("远大路", "蓝靛厂北路", "昆明湖南路")),
        ("中关村", 116.316, 39.983, 4, 1.5, ("中关村街道", "海淀街道"),  # places
         ("中关村大街", "海淀大街", "中关村南大街", "苏州街", "北四环西路")),
        ("五道口", 116.338, 39.992, 3, 1.3, ("学院路街道", "清华园街道", "东升地区"),  # places
         ("成府路", "学院路", "王庄路", "双清路")),
        ("公主坟", 116.310, 39.907, 3, 1.5, ("羊坊店街道", "万寿路街道"),
         ("复兴路", "西三环中路", "羊坊店路")),
        ("上地", 116.305, 40.035, 3, 1.5, ("上地街道", "马连洼街道"),
         ("上地信息路", "上地东路", "上地十街")),
        ("西二旗", 116.312, 40.052, 2, 1.3, ("西三旗街道",),
         ("西二旗大街", "安宁庄路", "后厂村路")),
        ("清河", 116.336, 40.030, 2, 1.3, ("清河街道",),
         ("清河中街", "毛纺路", "安宁庄东路")),
        ("甘家口", 116.330, 39.925, 2, 1.3, ("甘家口街道", "紫竹院街道", "八里庄街道"),
         ("阜成路", "增光路", "首都体育馆南路")),
        ("北太平庄", 116.370, 39.967, 2, 1.3, ("北太平庄街道", "北下关街道", "花园路街道"),
         ("北三环中路", "学院南路", "皂君庙路")),
        ("田村", 116.258, 39.930, 2, 1.5, ("田村路街道", "永定路街道"),
         ("田村路", "西四环中路", "阜石路")),
        ("温泉", 116.195, 40.045, 1, 1.2, ("温泉地区", "苏家坨地区"),
         ("温泉路", "北清路", "稻香湖路")),
    ),
    "mtg": (
        ("大峪", 116.102, 39.941, 4, 1.2, ("大峪街道", "城子街道"),
         ("新桥大街", "滨河路", "双峪路")),
        ("永定", 116.085, 39.914, 2, 0.9, ("永定地区",),
         ("石门营路", "龙园路", "石龙北路")),
        ("龙泉", 116.110, 39.960, 2, 0.9, ("龙泉地区", "东辛房街道"),
         ("龙泉路", "门头沟路", "三家店路")),
        ("军庄", 116.095, 40.000, 1, 0.6, ("军庄镇",),
         ("军庄路", "军庄大街")),
        ("斋堂", 115.690, 39.970, 0.5, 0.5, ("斋堂镇",),
         ("斋堂大街", "109国道")),
    ),
    "fsh": (
        ("良乡", 116.143, 39.735, 4, 1.5, ("拱辰街道", "西潞街道"),
         ("拱辰大街", "苏庄大街", "良乡西路", "长虹西路")),
        ("长阳", 116.205, 39.765, 3, 1.2, ("长阳镇",),
         ("长政南街", "长阳路", "京良路")),
        ("燕山", 115.970, 39.728, 2, 1.0, ("迎风街道", "向阳街道", "星城街道", "东风街道"),
         ("迎风西路", "燕东路", "岗南路")),
        ("城关", 116.000, 39.700, 2, 1.0, ("城关街道",),
         ("政通路", "北大街", "房易路")),
        ("窦店", 116.080, 39.655, 1, 0.8, ("窦店镇",),
         ("京周路", "窦店大街")),
        ("琉璃河", 116.030, 39.600, 1, 0.8, ("琉璃河地区",),
         ("琉璃河大街", "京广路")),
        ("阎村", 116.085, 39.730, 1, 0.8, ("阎村镇",),
         ("阎富路", "阎村大街")),
    ),
    "tzh": (
        ("新华", 116.657, 39.910, 4, 1.5, ("新华街道", "中仓街道", "玉桥街道", "杨庄街道"),
         ("新华大街", "车站路", "新华西街", "玉带河东街")),
        ("北苑", 116.640, 39.905, 3, 1.0, ("北苑街道", "通运街道"),  # places (通州北苑)
         ("北苑南路", "通惠北路", "北苑路")),
        ("梨园", 116.669, 39.882, 3, 1.3, ("梨园地区", "临河里街道", "九棵树街道"),
         ("九棵树东路", "梨园南街", "云景东路")),
        ("宋庄", 116.725, 39.953, 1, 1.0, ("宋庄镇",),
         ("宋庄路", "徐尹路", "小堡南街")),
        ("马驹桥", 116.557, 39.760, 2, 1.0, ("马驹桥镇",),
         ("兴贸二街", "工业区南路", "马驹桥大街")),
        ("台湖", 116.610, 39.835, 1, 1.0, ("台湖镇",),
         ("台湖大街", "次渠南路", "京津公路")),
        ("张家湾", 116.705, 39.850, 1, 1.0, ("张家湾镇",),
         ("张家湾大街", "通马路", "张采路")),
        ("潞城", 116.740, 39.915, 2, 1.2, ("潞城镇", "潞邑街道"),
         ("运河东大街", "宋梁路", "潞苑北大街")),
        ("永乐店", 116.790, 39.700, 0.5, 0.7, ("永乐店镇",),
         ("永乐大街", "通马路")),
    ),
    "shy": (
        ("顺义", 116.654, 40.130, 4, 1.5, ("胜利街道", "光明街道", "石园街道", "仁和地区"),
         ("府前中街", "新顺南大街", "光明南大街", "顺通路")),
        ("后沙峪", 116.540, 40.112, 2, 1.0, ("后沙峪镇",),
         ("裕曦路", "安泰大街", "吉祥大街")),
        ("天竺", 116.592, 40.060, 2, 1.2, ("天竺地区", "空港街道"),
         ("天竺路", "府前一街", "裕民大街")),
        ("牛栏山", 116.670, 40.220, 1, 0.8, ("牛栏山镇",),
         ("牛富路", "顺密路")),
        ("杨镇", 116.813, 40.160, 1, 0.8, ("杨镇地区",),
         ("杨镇大街", "顺平路")),
        ("李桥", 116.670, 40.060, 1, 0.8, ("李桥镇",),
         ("李天路", "顺平南线")),
        ("南法信", 116.610, 40.120, 1, 0.9, ("南法信地区", "旺泉街道"),
         ("南法信大街", "顺平路", "京密路")),
    ),
    "chp": (
        ("昌平", 116.231, 40.221, 3, 1.5, ("城北街道", "城南街道"),
         ("政府街", "鼓楼南大街", "昌平路", "西环路")),
        ("回龙观", 116.336, 40.070, 4, 1.5, ("回龙观街道", "龙泽园街道", "史各庄街道"),  # places
         ("回龙观西大街", "龙域中路", "育知路", "同成街")),
        ("天通苑", 116.420, 40.068, 4, 1.5, ("天通苑北街道", "天通苑南街道", "东小口地区"),  # places
         ("立汤路", "太平庄中街", "中东路")),
        ("沙河", 116.288, 40.140, 2, 1.2, ("沙河地区", "百善镇"),
         ("沙阳路", "北沙河东路", "昌平路")),
        ("北七家", 116.408, 40.110, 2, 1.2, ("北七家镇",),
         ("定泗路", "未来科学城南路", "北七家大街")),
        ("南口", 116.130, 40.240, 1, 0.8, ("南口地区", "马池口镇"),
         ("南口大街", "交通街")),
        ("小汤山", 116.385, 40.180, 1, 0.9, ("小汤山镇",),
         ("顺沙路", "汤山大街")),
        ("霍营", 116.365, 40.075, 2, 1.0, ("霍营街道",),
         ("黄平路", "霍营街", "回南北路")),
    ),
    "dxg": (
        ("黄村", 116.341, 39.727, 4, 1.5, ("兴丰街道", "林校路街道", "清源街道", "观音寺街道"),
         ("兴华大街", "兴丰大街", "金星路", "林校路", "清源路")),
        ("亦庄", 116.506, 39.795, 4, 1.8, ("亦庄地区", "荣华街道", "博兴街道"),  # places
         ("荣华中路", "科创十三街", "荣京东街", "宏达北路")),
        ("旧宫", 116.450, 39.812, 2, 1.2, ("旧宫地区",),
         ("旧宫东路", "德茂路", "旧忠路")),
        ("西红门", 116.330, 39.790, 2, 1.2, ("西红门地区",),
         ("宏福路", "欣宁街", "西红门路")),
        ("瀛海", 116.445, 39.755, 1, 1.0, ("瀛海地区",),
         ("瀛海东路", "南海子路")),
        ("高米店", 116.330, 39.760, 2, 1.0, ("高米店街道", "天宫院街道"),
         ("兴业大街", "金星西路", "天华大街")),
        ("庞各庄", 116.320, 39.635, 1, 0.8, ("庞各庄镇",),
         ("庞安路", "庞各庄大街")),
        ("魏善庄", 116.400, 39.640, 0.5, 0.8, ("魏善庄镇",),
         ("魏永路", "魏善庄大街")),
        ("榆垡", 116.310, 39.525, 0.5, 0.8, ("榆垡镇",),
         ("榆垡大街", "京开路")),
        ("采育", 116.655, 39.652, 0.5, 0.8, ("采育镇",),
         ("采育大街", "育英街")),
    ),
    "hro": (
        ("怀柔", 116.632, 40.316, 4, 1.2, ("泉河街道", "龙山街道"),
         ("青春路", "府前街", "迎宾路", "开放路")),
        ("庙城", 116.622, 40.272, 2, 0.8, ("庙城镇",),
         ("庙城大街", "京加路")),
        ("杨宋", 116.700, 40.298, 1, 0.8, ("杨宋镇",),
         ("凤翔大街", "杨雁路")),
        ("北房", 116.680, 40.340, 1, 0.8, ("北房镇",),
         ("北房大街", "怀北路")),
        ("雁栖", 116.650, 40.395, 1, 0.8, ("雁栖地区",),
         ("雁栖大街", "范崎路")),
        ("桥梓", 116.580, 40.330, 0.5, 0.6, ("桥梓镇",),
         ("桥梓大街",)),
    ),
    "pgu": (
        ("平谷", 117.121, 40.141, 4, 1.2, ("滨河街道", "兴谷街道"),
         ("府前街", "新平北路", "平谷大街", "林荫北街")),
        ("马坊", 116.995, 40.060, 2, 0.8, ("马坊地区",),
         ("马坊大街", "金河北路")),
        ("峪口", 117.025, 40.135, 1, 0.8, ("峪口地区",),
         ("峪口大街", "平三路")),
        ("东高村", 117.170, 40.115, 1, 0.8, ("东高村镇", "大兴庄镇"),
         ("平蓟路", "东高村大街")),
        ("王辛庄", 117.100, 40.195, 1, 0.8, ("王辛庄镇",),
         ("王辛庄大街", "平关路")),
        ("金海湖", 117.300, 40.185, 0.5, 0.6, ("金海湖地区",),
         ("金海湖大街",)),
    ),
    "myn": (
        ("密云", 116.843, 40.377, 4, 1.2, ("鼓楼街道", "果园街道", "檀营地区"),
         ("鼓楼东大街", "新中街", "宾阳大街", "滨河路")),
        ("十里堡", 116.855, 40.345, 1, 0.8, ("十里堡镇",),
         ("京密路", "十里堡大街")),
        ("穆家峪", 116.920, 40.405, 1, 0.8, ("穆家峪镇",),
         ("密关路", "穆家峪大街")),
        ("河南寨", 116.790, 40.305, 1, 0.8, ("河南寨镇",),
         ("河南寨大街", "京密路")),
        ("西田各庄", 116.760, 40.380, 1, 0.8, ("西田各庄镇",),
         ("西田各庄大街", "云西路")),
        ("溪翁庄", 116.830, 40.450, 0.5, 0.6, ("溪翁庄镇",),
         ("密溪路",)),
        ("古北口", 117.150, 40.690, 0.5, 0.5, ("古北口镇",),
         ("古北口大街",)),
    ),
    "yqg": (
        ("延庆", 115.975, 40.457, 4, 1.2, ("儒林街道", "百泉街道", "香水园街道"),
         ("妫水北街", "东外大街", "高塔街", "湖南东路")),
        ("康庄", 115.905, 40.380, 1, 0.8, ("康庄镇",),
         ("康庄大街", "京张路")),
        ("八达岭", 116.015, 40.360, 1, 0.6, ("八达岭镇",),
         ("八达岭大街", "京藏高速辅路")),
        ("永宁", 116.115, 40.530, 1, 0.7, ("永宁镇",),
         ("永宁大街", "延琉路")),
        ("张山营", 115.880, 40.470, 1, 0.7, ("张山营镇",),
         ("张山营大街", "延康路")),
    ),
}

# --------------------------------------------------------------------------
# Fictional brands (deliberately not real bank / chain names).
# --------------------------------------------------------------------------
BRANDS = {
    "bank": ("京华银行", "燕都银行", "泰和银行", "同心银行", "京禾农商银行", "云岫银行"),
    "restaurant": ("老京味面馆", "福满楼快餐", "家和小厨", "禾香饺子馆", "暖胃包子铺", "一碗香粥铺"),
    "supermarket": ("惠邻超市", "佳和便利店", "鲜到家超市", "邻里生鲜", "优选便利"),
    "property_agency": ("安居房产", "居安地产", "邻家房产", "和屋不动产", "青檐置业"),
    "gas_station": ("顺达加油站", "京通能源加油站", "畅行加油站"),
    "post_office": ("鸿雁邮局", "驿通邮局", "云笺邮局"),
    "other": ("康宁药房", "畅行汽修", "青藤书屋", "乐活健身"),
}

# Host-type weights for stations (banks and restaurants most common).
HOST_WEIGHTS = (
    ("bank", 33), ("restaurant", 17), ("supermarket", 12), ("property_agency", 9),
    ("gas_station", 6), ("post_office", 7), ("union_center", 8), ("other", 8),
)

# Amenity probabilities: base values, with per-host overrides.
AMENITY_P = {
    "water": 0.97, "charging": 0.70, "rest": 0.96, "heating": 0.60, "cooling": 0.60,
    "medicine": 0.38, "microwave": 0.32, "toilet": 0.45, "wifi": 0.42, "discount_meal": 0.0,
}
AMENITY_P_HOST = {
    "bank": {"wifi": 0.50, "toilet": 0.35, "microwave": 0.20, "heating": 0.65, "cooling": 0.65},
    # discount_meal: see data/README.md, ~1/8 of restaurants so that it stays rare (~2 %) overall
    "restaurant": {"microwave": 0.65, "toilet": 0.55, "wifi": 0.55, "discount_meal": 0.13},
    "supermarket": {"microwave": 0.45, "medicine": 0.30},
    "gas_station": {"toilet": 0.95, "charging": 0.85, "wifi": 0.35},
    "post_office": {"wifi": 0.30, "toilet": 0.30},
    "union_center": {"medicine": 0.75, "microwave": 0.60, "toilet": 0.80, "wifi": 0.70,
                     "heating": 0.75, "cooling": 0.75, "charging": 0.85},
    "other": {"medicine": 0.50},
}
AMENITY_P_HOME = {
    "water": 1.0, "charging": 0.90, "rest": 1.0, "heating": 0.85, "cooling": 0.85,
    "medicine": 0.80, "microwave": 0.80, "toilet": 0.95, "wifi": 0.90, "discount_meal": 0.0,
}

# Opening hours per host type: (value, weight); only simple standard OSM forms.
HOURS = {
    "bank": (("Mo-Fr 09:00-17:00", 55), ("Mo-Fr 09:00-17:00; Sa 09:00-12:00", 33),
             ("Mo-Su 09:00-17:00", 8), ("24/7", 4)),
    "restaurant": (("Mo-Su 10:00-21:30", 70), ("Mo-Su 06:30-21:00", 18),
                   ("Mo-Su 07:00-23:00", 6), ("24/7", 6)),
    "supermarket": (("Mo-Su 08:00-22:00", 45), ("Mo-Su 07:00-23:00", 35), ("24/7", 20)),
    "property_agency": (("Mo-Su 09:00-20:00", 88), ("Mo-Su 08:30-21:00", 12)),
    "gas_station": (("24/7", 70), ("Mo-Su 06:00-22:00", 30)),
    "post_office": (("Mo-Su 08:30-17:00", 60), ("Mo-Fr 08:30-17:30; Sa 09:00-16:00", 40)),
    "union_center": (("Mo-Fr 08:30-17:30", 52), ("24/7", 40), ("Mo-Su 08:00-20:00", 8)),
    "other": (("Mo-Su 08:00-20:00", 50), ("Mo-Su 09:00-18:00", 38), ("24/7", 12)),
}
HOURS_HOME = (("Mo-Fr 08:30-17:30", 50), ("Mo-Su 09:00-21:00", 25), ("24/7", 25))
P_UNKNOWN_HOURS = 0.05
P_PHONE_STATION = 0.85
P_PHONE_HOME = 0.95

# The one named station from the API contract's example.
SPECIAL_ID = ("chy", 42)
SPECIAL = {
    "name": "望京骑迹24小时智能化工会驿站",
    "coordinates": (116.4705, 39.9920),
    "host_type": "union_center",
    "address": "朝阳区望京街道阜通东大街6号望京骑迹驿站",
    "amenities": ("water", "charging", "rest", "heating", "cooling", "microwave", "toilet", "wifi"),
    "opening_hours": "24/7",
    "phone": "010-64701234",
}

# Deliberate pairs of stations in the same building (identical coordinates and
# address) to exercise tie-breaking by id: (district, seq_a, seq_b, anchor label).
# seq_b is placed at seq_a's point, with a different host type.
SHARED_BUILDINGS = (
    ("chy", 100, 101, "国贸"),
    ("hdn", 200, 201, "中关村"),
    ("xch", 50, 51, "西单"),
)


# --------------------------------------------------------------------------
def largest_remainder(total: int, weights: list[float]) -> list[int]:
    """Apportion ``total`` proportionally to ``weights``; ties by lower index."""
    s = sum(weights)
    quotas = [total * w / s for w in weights]
    counts = [math.floor(q) for q in quotas]
    left = total - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in order[:left]:
        counts[i] += 1
    return counts


def weighted(rng: random.Random, items):
    """Pick a value from ((value, weight), ...) in a fixed order."""
    values = [v for v, _ in items]
    weights = [w for _, w in items]
    return rng.choices(values, weights=weights, k=1)[0]


def sprinkle(rng: random.Random, lng: float, lat: float, sigma_km: float, used: set) -> tuple[float, float]:
    """A Gaussian draw around (lng, lat), truncated at 2.5 sigma, inside the
    Beijing box and not on an already used coordinate."""
    kx = 111.320 * math.cos(math.radians(lat))
    ky = 110.574
    while True:
        dx = rng.gauss(0.0, sigma_km)
        dy = rng.gauss(0.0, sigma_km)
        if dx * dx + dy * dy > (2.5 * sigma_km) ** 2:
            continue
        x = round(lng + dx / kx, 6)
        y = round(lat + dy / ky, 6)
        if not (LNG_MIN <= x <= LNG_MAX and LAT_MIN <= y <= LAT_MAX):
            continue
        if (x, y) in used:
            continue
        used.add((x, y))
        return x, y


def amenities_for(rng: random.Random, probs: dict) -> list[str]:
    out = [k for k in AMENITY_KEYS if rng.random() < probs[k]]
    return out


def phone(rng: random.Random, used: set) -> str:
    while True:
        p = "010-" + rng.choice("5678") + "".join(rng.choice("0123456789") for _ in range(7))
        if p not in used:
            used.add(p)
            return p


def address(rng: random.Random, district: str, sub: str, road: str) -> str:
    n = rng.randint(1, 199)
    r = rng.random()
    if r < 0.65:
        tail = f"{n}号"
    elif r < 0.85:
        tail = f"{n}号院{rng.randint(1, 12)}号楼"
    else:
        tail = f"{n}号{rng.randint(1, 3)}层"
    return f"{district}{sub}{road}{tail}"


def station_name(rng: random.Random, host: str, label: str, sub: str, place: str) -> str:
    """A fictional station name. ``place`` (the anchor label or a road) names
    the branch; union and community hosts are named after the neighbourhood."""
    if host == "bank":
        kind = rng.choice(("支行", "支行", "支行", "分理处"))
        return f"{rng.choice(BRANDS['bank'])}{place}{kind}暖心驿站"
    if host in ("restaurant", "supermarket", "property_agency"):
        return f"{rng.choice(BRANDS[host])}{place}店暖心驿站"
    if host == "gas_station":
        return f"{rng.choice(BRANDS[host])}{place}站暖心驿站"
    if host == "post_office":
        return f"{rng.choice(BRANDS[host])}{place}营业所暖心驿站"
    if host == "union_center":
        form = rng.random()
        if form < 0.5:
            return f"{sub}工会服务站暖心驿站"
        if form < 0.8:
            return f"{label}社区工会驿站"
        return f"{place}职工暖心驿站"
    # other
    form = rng.random()
    if form < 0.35:
        return f"{label}社区服务中心暖心驿站"
    if form < 0.55:
        return f"{label}城市书房暖心驿站"
    if form < 0.7:
        return f"{label}公园管理处暖心驿站"
    return f"{rng.choice(BRANDS['other'])}{place}店暖心驿站"


def feature(fid: str, lng: float, lat: float, props: dict) -> dict:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": [lng, lat]},
        "properties": props,
    }


def props(name, kind, host, addr, district, amen, hours, tel) -> dict:
    p = {
        "name": name, "kind": kind, "host_type": host, "address": addr,
        "district": district, "amenities": list(amen),
    }
    if hours is not None:
        p["opening_hours"] = hours
    if tel is not None:
        p["phone"] = tel
    return p


def generate() -> list[dict]:
    rng = random.Random(SEED)
    pops = [d[2] for d in DISTRICTS]
    station_counts = largest_remainder(N_STATIONS, pops)
    extra = largest_remainder(N_HOMES - MIN_HOMES_PER_DISTRICT * len(DISTRICTS), pops)
    home_counts = [MIN_HOMES_PER_DISTRICT + e for e in extra]

    used_xy: set = {SPECIAL["coordinates"]}
    used_phone: set = {SPECIAL["phone"]}
    used_names: set = {SPECIAL["name"]}
    shared = {(d, b): (a, label) for d, a, b, label in SHARED_BUILDINGS}
    shared_a = {(d, a): label for d, a, b, label in SHARED_BUILDINGS}
    features: list[dict] = []

    for (code, dname, _pop, _centre, _core), n_st, n_home in zip(DISTRICTS, station_counts, home_counts):
        anchors = ANCHORS[code]
        anchor_w = [(i, a[3]) for i, a in enumerate(anchors)]
        by_label = {a[0]: a for a in anchors}
        placed: dict[int, tuple] = {}  # seq_a -> (lng, lat, addr, host, sub, road)

        for seq in range(1, n_st + 1):
            fid = f"bj-{code}-{seq:05d}"
            if (code, seq) == SPECIAL_ID:
                s = SPECIAL
                features.append(feature(fid, *s["coordinates"], props(
                    s["name"], "station", s["host_type"], s["address"], dname,
                    s["amenities"], s["opening_hours"], s["phone"])))
                continue
            if (code, seq) in shared_a:
                anchor = by_label[shared_a[(code, seq)]]
            elif (code, seq) in shared:
                anchor = by_label[shared[(code, seq)][1]]
            else:
                anchor = anchors[weighted(rng, anchor_w)]
            label, alng, alat, _w, sigma, subs, roads = anchor
            sub = rng.choice(subs)
            host = weighted(rng, HOST_WEIGHTS)
            if (code, seq) in shared:
                # same building as seq_a: same point and address, another host type
                lng, lat, addr, a_host, sub, road = placed[shared[(code, seq)][0]]
                while host == a_host:
                    host = weighted(rng, HOST_WEIGHTS)
                road_choices = (road,)
            else:
                lng, lat = sprinkle(rng, alng, alat, sigma, used_xy)
                addr = None
                road_choices = roads
            # Branch named after the neighbourhood (65 %) or the road of its
            # address; when that name is taken, after both ("望京阜通东大街支行").
            for attempt in range(60):
                road = rng.choice(road_choices)
                if attempt < 30:
                    place = label if rng.random() < 0.65 else road
                else:
                    place = f"{label}{road}"
                name = station_name(rng, host, label, sub, place)
                if name not in used_names:
                    break
            else:
                raise SystemExit(f"gen_sample: no unique name for bj-{code}-{seq:05d}")
            if addr is None:
                addr = address(rng, dname, sub, road)
            if (code, seq) in shared_a:
                placed[seq] = (lng, lat, addr, host, sub, road)
            used_names.add(name)
            probs = dict(AMENITY_P)
            probs.update(AMENITY_P_HOST.get(host, {}))
            amen = amenities_for(rng, probs)
            hours = None if rng.random() < P_UNKNOWN_HOURS else weighted(rng, HOURS[host])
            tel = phone(rng, used_phone) if rng.random() < P_PHONE_STATION else None
            features.append(feature(fid, lng, lat, props(name, "station", host, addr, dname, amen, hours, tel)))

        # Workers' homes: h0001 is the district trade union's own, the rest are
        # in distinct street / town union centres.
        all_subs = []
        for a in anchors:
            for sd in a[5]:
                if sd not in all_subs:
                    all_subs.append(sd)
        if len(all_subs) < n_home - 1:
            raise SystemExit(f"{code}: only {len(all_subs)} sub-districts for {n_home} workers' homes")
        chosen = rng.sample(all_subs, n_home - 1)
        for h in range(1, n_home + 1):
            fid = f"bj-{code}-h{h:04d}"
            if h == 1:
                anchor = anchors[0]
                sub = anchor[5][0]
                name = f"{dname}总工会职工之家"
                sigma = anchor[4] * 0.4
            else:
                sub = chosen[h - 2]
                anchor = next(a for a in anchors if sub in a[5])
                name = f"{sub}职工之家"
                if name in used_names:  # e.g. 八里庄街道 exists in both 朝阳区 and 海淀区
                    name = f"{dname}{name}"
                sigma = anchor[4] * 0.6
            label, alng, alat, _w, _s, _subs, roads = anchor
            lng, lat = sprinkle(rng, alng, alat, sigma, used_xy)
            road = rng.choice(roads)
            addr = f"{dname}{sub}{road}{rng.randint(1, 199)}号"
            if h == 1:
                addr += "区总工会职工服务中心"
            else:
                addr += "工会服务中心" + rng.choice(("一层", "二层", ""))
            amen = amenities_for(rng, AMENITY_P_HOME)
            hours = None if rng.random() < P_UNKNOWN_HOURS else weighted(rng, HOURS_HOME)
            tel = phone(rng, used_phone) if rng.random() < P_PHONE_HOME else None
            used_names.add(name)
            features.append(feature(fid, lng, lat, props(
                name, "workers_home", "union_center", addr, dname, amen, hours, tel)))

    features.sort(key=lambda f: f["id"])
    return features


def render(features: list[dict]) -> str:
    head = {
        "type": "FeatureCollection",
        "name": "yizhan synthetic sample stations",
        "synthetic": True,
        "description": f"SYNTHETIC data generated by {GENERATOR} (seed {SEED}); not real stations. "
                       "Names, brands, addresses and phone numbers are fictional.",
        "generator": GENERATOR,
        "seed": SEED,
    }
    head_json = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    lines = [head_json[:-1] + ',"features":[']
    body = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    lines.append(",\n".join(body))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def verify(features: list[dict]) -> list[str]:
    """Assert the documented invariants; return a list of problems."""
    problems = []
    kinds = Counter(f["properties"]["kind"] for f in features)
    if kinds["station"] != N_STATIONS or kinds["workers_home"] != N_HOMES:
        problems.append(f"counts {dict(kinds)}")
    ids = [f["id"] for f in features]
    if len(set(ids)) != len(ids):
        problems.append("duplicate ids")
    if ids != sorted(ids):
        problems.append("not sorted by id")
    xy = Counter()
    for f in features:
        x, y = f["geometry"]["coordinates"]
        if not (LNG_MIN <= x <= LNG_MAX and LAT_MIN <= y <= LAT_MAX):
            problems.append(f"{f['id']} out of bounds")
        xy[(x, y)] += 1
        p = f["properties"]
        if "discount_meal" in p["amenities"] and p["host_type"] != "restaurant":
            problems.append(f"{f['id']} discount_meal at {p['host_type']}")
        if p["host_type"] not in HOST_TYPES:
            problems.append(f"{f['id']} host_type")
        if p["amenities"] != [k for k in AMENITY_KEYS if k in p["amenities"]]:
            problems.append(f"{f['id']} amenity order")
    dups = sorted(k for k, v in xy.items() if v > 1)
    if len(dups) != len(SHARED_BUILDINGS) or any(xy[k] != 2 for k in dups):
        problems.append(f"shared coordinates {dups}")
    special = [f for f in features if f["properties"]["name"] == SPECIAL["name"]]
    if len(special) != 1 or special[0]["id"] != f"bj-{SPECIAL_ID[0]}-{SPECIAL_ID[1]:05d}":
        problems.append("special station")
    homes = Counter(f["properties"]["district"] for f in features if f["properties"]["kind"] == "workers_home")
    if len(homes) != len(DISTRICTS) or min(homes.values()) < MIN_HOMES_PER_DISTRICT:
        problems.append(f"workers' homes per district {dict(homes)}")
    return problems


def summary(features: list[dict], out=sys.stderr) -> None:
    n = len(features)
    st = [f for f in features if f["properties"]["kind"] == "station"]

    def pct(c, tot):
        return f"{c:5d} ({100.0 * c / tot:5.1f} %)"

    print(f"features: {n}", file=out)
    print("per district (station / workers_home):", file=out)
    for code, dname, *_ in DISTRICTS:
        s = sum(1 for f in features if f["id"].startswith(f"bj-{code}-") and f["properties"]["kind"] == "station")
        h = sum(1 for f in features if f["id"].startswith(f"bj-{code}-") and f["properties"]["kind"] == "workers_home")
        print(f"  {code} {dname:<5} {s:5d} / {h:3d}", file=out)
    kinds = Counter(f["properties"]["kind"] for f in features)
    print("kind:", ", ".join(f"{k}={kinds[k]}" for k in ("station", "workers_home")), file=out)
    print("host_type (stations):", file=out)
    hosts = Counter(f["properties"]["host_type"] for f in st)
    for h in HOST_TYPES:
        print(f"  {h:<16} {pct(hosts[h], len(st))}", file=out)
    print("amenities (all features):", file=out)
    am = Counter(a for f in features for a in f["properties"]["amenities"])
    for a in AMENITY_KEYS:
        print(f"  {a:<16} {pct(am[a], n)}", file=out)
    print("opening_hours (all features):", file=out)
    hours = Counter(f["properties"].get("opening_hours", "(unknown)") for f in features)
    for h, c in sorted(hours.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {h:<36} {pct(c, n)}", file=out)
    phones = sum(1 for f in features if "phone" in f["properties"])
    print(f"with phone: {pct(phones, n)}", file=out)
    xy = Counter(tuple(f["geometry"]["coordinates"]) for f in features)
    for k in sorted(k for k, v in xy.items() if v > 1):
        ids = [f["id"] for f in features if tuple(f["geometry"]["coordinates"]) == k]
        print(f"shared building {list(k)}: {', '.join(ids)}", file=out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Generate the SYNTHETIC sample dataset data/stations.geojson.")
    ap.add_argument("--check", action="store_true",
                    help="regenerate in memory and exit 1 if the file differs (reproducibility check for CI)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output file (default {DEFAULT_OUT.relative_to(ROOT)})")
    ap.add_argument("--quiet", action="store_true", help="do not print the summary")
    args = ap.parse_args(argv)

    features = generate()
    problems = verify(features)
    if problems:
        for p in problems:
            print(f"gen_sample: invariant violated: {p}", file=sys.stderr)
        return 2
    text = render(features)
    if not args.quiet:
        summary(features)

    if args.check:
        try:
            current = args.out.read_bytes()
        except FileNotFoundError:
            print(f"gen_sample: {args.out} does not exist; run python3 {GENERATOR}", file=sys.stderr)
            return 1
        if current != text.encode("utf-8"):
            old = current.decode("utf-8", "replace").splitlines()
            new = text.splitlines()
            first = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
            print(f"gen_sample: {args.out} differs from the generator's output "
                  f"(first difference at line {first + 1}); run python3 {GENERATOR}", file=sys.stderr)
            return 1
        print(f"gen_sample: {args.out} is up to date", file=sys.stderr)
        return 0

    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_bytes(text.encode("utf-8"))
    tmp.replace(args.out)
    print(f"gen_sample: wrote {len(features)} features to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
