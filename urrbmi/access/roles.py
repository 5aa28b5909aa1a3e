"""Roles and their permissions: one table, checked by :func:`allowed`.

Every role is also scoped to a region subtree (``users.region_code``); the permission says what
kind of thing a user may do, the scope where (see :mod:`urrbmi.access.scope`).
"""

from __future__ import annotations

from types import MappingProxyType

from urrbmi.db.models_access import ROLES

# permission → what it allows
PERMISSIONS: dict[str, str] = {
    "region.read": "查看行政区划 / read regions",
    "region.write": "登记行政区划 / add regions",
    "resident.read": "缴费查询、居民名单 / resident statements and lists (IDs masked)",
    "resident.full_id": "查看完整身份证号码 / see full ID numbers",
    "contact.read": "查看完整联系电话（村、乡镇催缴）/ see full phone numbers (village, township)",
    "resident.write": "登记、修改居民，新生儿，外地参保 / register and change residents",
    "identity.write": "登记、结束人员身份 / record and end identities",
    "campaign.read": "查看征缴批次、对账、重复参保 / campaigns, reconciliation, duplicates",
    "campaign.manage": "开设征缴、核定、身份变化退补 / create, assess, identity changes",
    "roster.read": "下载征缴名册（含完整身份证号码）/ download the roster (full IDs)",
    "payment.record": "单笔缴费入账 / record one payment",
    "payment.backdate": "补录超过补录期限的缴费日期 / date a counter payment beyond the backdating window",
    "payment.import": "导入渠道缴费文件 / import a channel file",
    "payment.cancel": "退费、撤销缴费 / refund or cancel a payment",
    "payment.accept": "复核后确认待处理缴费 / accept a held payment after review",
    "payment.cancel_handed_over": "撤销已解缴的现金收据 / cancel a cash receipt already handed over",
    "handover.submit": "现金日清日结、提交解缴 / daily cash and handing it over",
    "handover.confirm": "清点确认现金解缴、查看解缴报表 / count and confirm cash handovers, reports",
    "refund.approve": "审批、驳回退费和补发（不能审批本人发起的）/ approve or reject refunds (not one's own)",
    "refund.pay": "生成退费文件、导入渠道支付结果（含完整身份证号码）/ refund file and the channel's result",
    "school.manage": "登记学校、学生名册、缴费清单和学校代缴 / schools, rosters, statements, payments",
    "audit.read": "查询审计日志 / query the audit log",
    "list.upload": "上传部门名单（报送员仅限本部门来源）/ upload department lists (uploaders: own sources)",
    "funding.read": "资金测算、进度 / funding and progress reports",
    "user.manage": "管理账号 / manage accounts",
    "visit.record": "记录入户走访结果 / record visit outcomes",
    "activation.import": "导入医保电子凭证激活名单 / import 医保电子凭证 activation lists",
}

_ALL = frozenset(PERMISSIONS)
_ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "bureau_admin": _ALL,
    "bureau_officer": frozenset(
        {
            "region.read",
            "resident.read",
            "resident.full_id",
            "resident.write",
            "identity.write",
            "campaign.read",
            "campaign.manage",
            "roster.read",
            "payment.record",
            "payment.backdate",
            "payment.import",
            "payment.cancel",
            "payment.accept",
            "payment.cancel_handed_over",
            "handover.submit",
            "handover.confirm",
            "refund.approve",
            "funding.read",
            "list.upload",
            "school.manage",
            "visit.record",
            "activation.import",
        }
    ),
    "township_officer": frozenset(
        {
            "region.read",
            "resident.read",
            "resident.write",
            "identity.write",
            "campaign.read",
            "payment.record",
            "payment.backdate",
            "handover.submit",
            "handover.confirm",
            "school.manage",
            "visit.record",
            "contact.read",
        }
    ),
    "village_agent": frozenset(
        {"region.read", "resident.read", "payment.record", "handover.submit", "visit.record", "contact.read"}
    ),
    "dept_uploader": frozenset({"list.upload"}),
    "auditor": frozenset({"region.read", "resident.read", "campaign.read", "audit.read"}),
    "finance": frozenset({"region.read", "campaign.read", "funding.read", "handover.confirm", "refund.pay"}),
}
ROLE_PERMISSIONS = MappingProxyType(_ROLE_PERMISSIONS)
assert set(ROLE_PERMISSIONS) == set(ROLES)

ROLE_ZH = {
    "bureau_admin": "医保局管理员",
    "bureau_officer": "医保局经办人员",
    "township_officer": "乡镇（街道）经办人员",
    "village_agent": "村（社区）代办员",
    "dept_uploader": "部门名单报送员",
    "auditor": "审计人员",
    "finance": "财政（资金）人员",
}


def allowed(role: str, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(permission)
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def permissions(role: str) -> list[str]:
    return sorted(ROLE_PERMISSIONS.get(role, frozenset()))
