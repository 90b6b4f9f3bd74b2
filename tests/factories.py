"""Builders for test data. They go through the services so every row obeys the same rules."""

from __future__ import annotations

import itertools

from org import services
from org.models import OrgUnit, OrgUnitKind, Person

_sequence = itertools.count(1)

PASSWORD = "Correct-Horse-2026"


def unit_create(
    *, parent: OrgUnit | None, name: str, kind: str, division_code: str = "330000"
) -> OrgUnit:
    return services.org_unit_create(
        parent=parent,
        name=name,
        kind=kind,
        division_code=division_code,
        code=f"test-{next(_sequence)}",
    )


def person_create(
    *, unit: OrgUnit, real_name: str = "测试人员", password: str | None = PASSWORD, **kwargs: str
) -> Person:
    number = next(_sequence)
    return services.person_create(
        username=kwargs.pop("username", f"user{number}"),
        real_name=real_name,
        employee_number=kwargs.pop("employee_number", f"T{number:06d}"),
        org_unit=unit,
        password=password,
        **kwargs,
    )


class Tree:
    """A small Zhejiang: two cities, two counties in one, departments and units."""

    def __init__(self) -> None:
        self.province = unit_create(
            parent=None, name="浙江省", kind=OrgUnitKind.PROVINCE, division_code="330000"
        )
        self.hangzhou = unit_create(
            parent=self.province, name="杭州市", kind=OrgUnitKind.CITY, division_code="330100"
        )
        self.ningbo = unit_create(
            parent=self.province, name="宁波市", kind=OrgUnitKind.CITY, division_code="330200"
        )
        self.xihu = unit_create(
            parent=self.hangzhou, name="西湖区", kind=OrgUnitKind.COUNTY, division_code="330106"
        )
        self.binjiang = unit_create(
            parent=self.hangzhou, name="滨江区", kind=OrgUnitKind.COUNTY, division_code="330108"
        )
        self.xihu_data_bureau = unit_create(
            parent=self.xihu,
            name="西湖区数据资源管理局",
            kind=OrgUnitKind.DEPARTMENT,
            division_code="330106",
        )
        self.xihu_it_section = unit_create(
            parent=self.xihu_data_bureau,
            name="信息化科",
            kind=OrgUnitKind.UNIT,
            division_code="330106",
        )
        self.binjiang_hr_bureau = unit_create(
            parent=self.binjiang,
            name="滨江区人力资源和社会保障局",
            kind=OrgUnitKind.DEPARTMENT,
            division_code="330108",
        )
        self.ningbo_data_bureau = unit_create(
            parent=self.ningbo,
            name="宁波市大数据发展管理局",
            kind=OrgUnitKind.DEPARTMENT,
            division_code="330200",
        )
        self.provincial_hr_department = unit_create(
            parent=self.province,
            name="浙江省人力资源和社会保障厅",
            kind=OrgUnitKind.DEPARTMENT,
        )
