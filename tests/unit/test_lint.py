"""Wording lint: the hard blocks of DOMAIN-RULES §8 are caught, firm and truthful dunning is not."""

from __future__ import annotations

import pytest

from dunmore.delivery.lint import MESSAGES, RULES, lint
from dunmore.delivery.view import LANGUAGES, Language

FORBIDDEN: list[tuple[Language, str, str]] = [
    # the examples of DOMAIN-RULES §8
    ("zh-CN", "如不还款将通知您的家人和单位", "shaming"),
    ("zh-CN", "您已被列入黑名单", "blacklist"),
    ("zh-CN", "我们是法院", "impersonation"),
    ("zh-CN", "逾期将被拘留", "arrest"),
    ("en", "We will have you arrested", "arrest"),
    ("en", "Failure to pay is a criminal offence", "arrest"),
    ("en", "Final notice before legal action", "legal_action"),
    # their zh-TW equivalents
    ("zh-TW", "如不還款將通知您的家人和單位", "shaming"),
    ("zh-TW", "您已被列入黑名單", "blacklist"),
    ("zh-TW", "我們是法院", "impersonation"),
    ("zh-TW", "逾期將被拘留", "arrest"),
    # zh-CN
    ("zh-CN", "再不还钱，小心你的家人出事", "violence"),
    ("zh-CN", "让你吃不了兜着走", "violence"),
    ("zh-CN", "后果自负", "violence"),
    ("zh-CN", "我们将向公安机关报案", "arrest"),
    ("zh-CN", "您已涉嫌诈骗", "arrest"),
    ("zh-CN", "将追究您的刑事责任", "arrest"),
    ("zh-CN", "我们是上海市浦东新区人民法院执行局", "impersonation"),
    ("zh-CN", "本院将于三日后送达传票", "impersonation"),
    ("zh-CN", "您将被列入失信被执行人名单", "blacklist"),
    ("zh-CN", "逾期记录将上报征信系统", "blacklist"),
    ("zh-CN", "这将严重影响您的个人信用", "blacklist"),
    ("zh-CN", "您将被限制高消费", "blacklist"),
    ("zh-CN", "我们会联系您的同事和领导", "shaming"),
    ("zh-CN", "欠款信息将在朋友圈曝光", "shaming"),
    ("zh-CN", "我们将通知贵司的客户", "shaming"),
    ("zh-CN", "在小区门口张贴欠款公告", "shaming"),
    ("zh-CN", "你这个老赖", "insult"),
    ("zh-CN", "真不要脸", "insult"),
    ("zh-CN", "逾期将加收催收服务费500元", "collection_fee"),
    ("zh-CN", "我们将额外收取上门费", "collection_fee"),
    ("zh-CN", "可以先借钱还上", "new_borrowing"),
    ("zh-CN", "建议您申请网贷周转", "new_borrowing"),
    ("zh-CN", "向亲友借一下", "new_borrowing"),
    ("zh-CN", "法院将冻结您的银行账户", "false_consequence"),
    ("zh-CN", "将查封您的房产", "false_consequence"),
    ("zh-CN", "我司将依法起诉", "legal_action"),
    ("zh-CN", "我司将采取法律行动", "legal_action"),
    ("zh-CN", "否则我司将追究贵司的法律责任", "legal_action"),
    ("zh-CN", "我司将委托律师事务所处理", "legal_action"),
    ("zh-CN", "将向有管辖权的人民法院提起诉讼", "legal_action"),
    # zh-TW
    ("zh-TW", "讓你好看", "violence"),
    ("zh-TW", "後果自負", "violence"),
    ("zh-TW", "本公司將報警處理", "arrest"),
    ("zh-TW", "您已涉嫌詐欺", "arrest"),
    ("zh-TW", "將移送地檢署", "arrest"),
    ("zh-TW", "我們是台北地方法院", "impersonation"),
    ("zh-TW", "本公司代表法院通知您", "impersonation"),
    ("zh-TW", "將通報聯徵中心", "blacklist"),
    ("zh-TW", "您將成為拒往戶", "blacklist"),
    ("zh-TW", "我們將聯絡您的主管與同事", "shaming"),
    ("zh-TW", "欠款資訊將在臉書公開", "shaming"),
    ("zh-TW", "你這個騙子", "insult"),
    ("zh-TW", "將另行收取外訪費", "collection_fee"),
    ("zh-TW", "請去辦理貸款來還", "new_borrowing"),
    ("zh-TW", "地下錢莊也可以借", "new_borrowing"),
    ("zh-TW", "將扣您的薪水", "false_consequence"),
    ("zh-TW", "本公司將提告", "legal_action"),
    ("zh-TW", "將聲請支付命令", "legal_action"),
    ("zh-TW", "本公司將採取法律行動", "legal_action"),
    # simplified characters in a zh-TW text are caught too
    ("zh-TW", "您已被列入黑名单", "blacklist"),
    # en
    ("en", "Pay or else, we know where you live", "violence"),
    ("en", "You will regret ignoring this", "violence"),
    ("en", "You may go to prison", "arrest"),
    ("en", "We have reported you to the police", "arrest"),
    ("en", "Not paying amounts to fraud", "arrest"),
    ("en", "This is the county court", "impersonation"),
    ("en", "We are solicitors acting for our client", "impersonation"),
    ("en", "You have been served a summons", "impersonation"),
    ("en", "Your company has been blacklisted", "blacklist"),
    ("en", "We will report you to the credit bureau", "blacklist"),
    ("en", "This will damage your credit rating", "blacklist"),
    ("en", "We will contact your employer and your family", "shaming"),
    ("en", "We will name and shame you on social media", "shaming"),
    ("en", "Your neighbours will find out", "shaming"),
    ("en", "Stop being a deadbeat", "insult"),
    ("en", "Your accounts team is useless", "insult"),
    ("en", "A collection fee of £75 has been added", "collection_fee"),
    ("en", "An administration charge applies", "collection_fee"),
    ("en", "Take out a loan to clear the balance", "new_borrowing"),
    ("en", "Sell your car if you must", "new_borrowing"),
    ("en", "Bailiffs will visit your premises", "false_consequence"),
    ("en", "We will freeze your bank account", "false_consequence"),
    ("en", "We will sue you", "legal_action"),
    ("en", "We will take you to court", "legal_action"),
    ("en", "The account has been passed to our solicitors", "legal_action"),
    ("en", "We will instruct a debt collection agency", "legal_action"),
    ("en", "This is a letter before action", "legal_action"),
    # spaces, full-width letters and invisible characters do not hide a phrase
    ("zh-CN", "黑 名\n单", "blacklist"),
    ("en", "We will have you ａｒｒｅｓｔｅｄ", "arrest"),
    ("en", "le\u200bgal action", "legal_action"),
]

ALLOWED: list[tuple[Language, str]] = [
    ("zh-CN", "请于2026年12月3日前付清应付总额¥15,741.51。"),
    ("zh-CN", "本通知计入催款费用¥100.00，以及按年利率3.65%计算的逾期利息¥46.01。"),
    ("zh-CN", "最后付款通知：本通知即为我司就上述款项向贵司提出的书面付款要求。"),
    ("zh-CN", "如逾期仍未付清，我司将把该账户提交内部法务审核（该步骤须经我司管理层批准）。"),
    ("zh-CN", "在账款结清前，我司可能暂停向贵司发货，并可能调整贵司的信用额度。"),
    ("zh-CN", "这可能影响贵司的信用额度。"),
    ("zh-CN", "如暂时有困难，我们愿意商定分期付款安排。"),
    ("zh-CN", "如已付款，请忽略本通知；如未收到邮件，请检查垃圾邮件文件夹。"),
    ("zh-CN", "如您并非负责付款的联系人，烦请转交贵司财务部门。联系人：王丽华。"),
    ("zh-CN", "本通知可中断诉讼时效。"),
    ("zh-CN", "我司客户经理将致电贵司，商谈付款安排；必要时上门拜访。"),
    ("zh-CN", "逾期利息随逾期天数逐日增加。"),
    ("zh-CN", "请在付款附言中注明通知编号。"),
    ("zh-TW", "敬請於2026年12月3日前付清應付總額。"),
    ("zh-TW", "本通知另計入催款費用CN¥100.00，以及依年利率3.65%計算之逾期利息。"),
    ("zh-TW", "本公司將把貴公司帳戶提交內部法務單位審查，審查結果將另以書面通知。"),
    ("zh-TW", "我們願意與貴公司商議分期付款方案。"),
    ("zh-TW", "如已付款，請忽略本通知；請確認垃圾郵件匣。"),
    ("zh-TW", "匯款時請註明通知編號，以便我們核對銷帳。"),
    ("zh-TW", "本公司業務代表將致電貴公司，洽談付款安排。"),
    ("zh-TW", "如您並非負責付款的聯絡人，敬請轉交貴公司財務部門。"),
    ("en", "Please pay the total due of CN¥15,741.51 by 3 December 2026 at the latest."),
    ("en", "This notice adds a late payment fee of CN¥100.00 and late interest calculated at 3.65% a year."),
    ("en", "Final notice: this notice is our formal demand for payment."),
    ("en", "We will refer your account for internal legal review, which requires management approval."),
    ("en", "Our legal department will review the account and write to you with the outcome."),
    ("en", "Further deliveries may be put on hold and your credit limit reviewed."),
    ("en", "Please send a credit note request to our Credit Control team."),
    ("en", "You can pay by bank transfer or by credit card; contact your bank if the transfer fails."),
    ("en", "If you are not the right person, please forward this to the colleague who handles payments."),
    ("en", "We can break your balance into instalments."),
    ("en", "The invoice was issued on 1 May; we will pursue the matter with you directly."),
    ("en", "Statutory compensation for recovery costs of €40 applies to each late invoice."),
    ("en", "We will send you a formal written demand by post."),
    ("en", "If you have already paid, please disregard this reminder. Kind regards, Sue"),
]


@pytest.mark.parametrize(("language", "text", "code"), FORBIDDEN)
def test_forbidden_wording_is_caught(language: Language, text: str, code: str) -> None:
    hits = lint(text, language)
    assert code in {hit.code for hit in hits}, hits
    hit = next(hit for hit in hits if hit.code == code)
    assert hit.excerpt
    assert hit.message == MESSAGES[code]


@pytest.mark.parametrize(("language", "text"), ALLOWED)
def test_firm_truthful_dunning_is_allowed(language: Language, text: str) -> None:
    assert lint(text, language) == []


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Final notice before legal action"),
        ("en", "We will sue"),
        ("zh-CN", "我司将依法提起诉讼"),
        ("zh-TW", "本公司將委任律師提告"),
    ],
)
def test_legal_action_wording_only_when_the_step_allows_it(language: Language, text: str) -> None:
    assert {hit.code for hit in lint(text, language)} == {"legal_action"}
    assert lint(text, language, allow_legal_action=True) == []


def test_allowing_legal_action_does_not_allow_threats() -> None:
    hits = lint("We will sue you and have you arrested", "en", allow_legal_action=True)
    assert [hit.code for hit in hits] == ["arrest"]


def test_hits_come_in_text_order_with_their_excerpt() -> None:
    hits = lint("您已被列入黑名单，我们将通知您的家人，并且逾期将被拘留", "zh-CN")
    assert [(hit.code, hit.excerpt) for hit in hits] == [
        ("blacklist", "黑名单"),
        ("shaming", "通知您的家人"),
        ("arrest", "拘留"),
    ]


def test_every_language_has_every_rule_with_a_message() -> None:
    assert set(RULES) == set(LANGUAGES)
    for rules in RULES.values():
        assert {rule.code for rule in rules} == set(MESSAGES)
    # each message says what is wrong, then how to put it right
    assert all(len(message.split("; ")) >= 2 for message in MESSAGES.values())
