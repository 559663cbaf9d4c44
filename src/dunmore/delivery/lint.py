"""Wording lint: what a collection message must never say (DOMAIN-RULES §8), in zh-CN, zh-TW and en.

Each rule has a stable code, a pattern and a message saying what is wrong and how to fix it. The
hard blocks: threats of violence or harm; arrest, jail or a criminal case; posing as a court, the
police, a government body or a law firm; blacklists, 失信名单 and credit reporting; telling family,
employer, neighbours or the public (shaming); insults; collection fees; pushing new borrowing;
court measures stated as consequences (freezing, seizure, bailiffs). Announcing legal action ("we
will sue", 起诉, 法律程序, lawyers, a collection agency) is blocked unless the step was approved for
legal action (`allow_legal_action`).

What stays allowed is firm, truthful dunning: amounts, fees and interest of the policy, deadlines,
"final notice", a credit hold on further deliveries, and an *internal* legal review of the account
(内部法务审核 / "referred for internal legal review"), which is the default ladder's real next step.

Chinese texts are checked against the simplified and the traditional rules (a zh-TW template may
slip into simplified characters) and the English ones (bilingual lines); English texts against all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from dunmore.delivery.view import Language

__all__ = ["MESSAGES", "RULES", "LintHit", "Rule", "lint"]

LEGAL_ACTION: Final = "legal_action"

MESSAGES: Final[dict[str, str]] = {
    "violence": "threatens violence or harm; state the amount, the deadline and the next step plainly",
    "arrest": "threatens arrest, jail or a criminal case over an unpaid debt, which is false; remove it",
    "impersonation": "claims to be or speak for a court, the police, a government body or a law firm; "
    "sign as the creditor only",
    "blacklist": "mentions a blacklist, 失信名单 or credit reporting; only courts publish defaulter lists "
    "and only a creditor that really reports may mention it; remove it",
    "shaming": "threatens to tell family, employer, neighbours, business partners or the public; "
    "write to the debtor only and never about making the debt public",
    "insult": "insults the reader; keep the wording firm and polite",
    "collection_fee": "names a collection or handling fee; charge and name only the fees of the policy "
    "(dunning fee, late interest) or the law (statutory compensation)",
    "new_borrowing": "pushes the debtor to borrow or sell assets to pay; offer a payment plan instead",
    "false_consequence": "states a court measure (freezing accounts, seizure, bailiffs, travel bans) as a "
    "consequence; only a court orders these; remove it",
    LEGAL_ACTION: "announces legal action (suing, court, lawyers, a collection agency); allowed only in a "
    "step approved for legal action; otherwise say the account will be referred for internal review",
}


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    pattern: re.Pattern[str]
    message: str
    chinese: bool = False  # matches only Chinese characters: skipped for texts without any


@dataclass(frozen=True, slots=True)
class LintHit:
    code: str
    message: str
    excerpt: str  # the words that matched, as found in the (normalised) text


def _rules(table: dict[str, str], *, chinese: bool) -> tuple[Rule, ...]:
    """Rules from verbose patterns: alternatives separated by `|`, spaces and line breaks ignored."""
    flags = re.VERBOSE | (0 if chinese else re.IGNORECASE)
    return tuple(
        Rule(code, re.compile(pattern, flags), MESSAGES[code], chinese) for code, pattern in table.items()
    )


_HANS = _rules(
    {
        "violence": r"""
            打断\S{0,3}腿 | 打死 | 弄死 | 砍死 | 砍(?:你|您) | 杀了(?:你|您) | (?:让|叫)(?:你|您)(?:好看|
            付出代价|后悔) | 吃不了兜着走 | 走着瞧 | 后果自负 | 人身安全 | 找人(?:收拾|教训|处理) |
            教训(?:你|您) | 小心点 | (?:你|您)小心 | 泼(?:油)?漆 | 堵(?:你|您)的?(?:家)?门 | 上门堵 |
            (?:你|您)的?家人\S{0,6}(?:安全|出事)
        """,
        "arrest": r"""
            拘留 | 逮捕 | 抓(?:你|您|人|起来) | 坐牢 | 入狱 | 判刑 | 刑事 | (?:涉嫌|构成)(?:犯罪|诈骗) |
            诈骗罪 | 拒执罪 | 报警 | 报案 | 立案侦查 | 公安(?:机关)?(?:介入|立案) | 警察 | 警方
        """,
        "impersonation": r"""
            (?:我们|我方|我司|本公司|本人|这里)(?:是|系|来自|代表)[^，。,.;；\s]{0,16}?(?:法院|公安|警察|
            警方|派出所|检察院|政府|律师事务所|律所|税务局|监管部门|金融监管) | 本院 | 传票 | 法院(?:通知|
            公告) | 执行局 | 协助执行通知 | (?:以|代表)(?:法院|公安|政府|律师事务所)的?名义
        """,
        "blacklist": r"""
            黑名单 | 失信 | 老赖名单 | 征信 | 信用(?:记录|档案)?(?:污点|受损|变黑) | (?:影响|拉低|
            损害)(?:您|你|贵司|贵公司)?的?(?:个人|企业)?信用(?!额度|等级|期|账期|条件|政策) |
            限制(?:高消费|出行|出境|乘坐) | 限高
        """,
        "shaming": r"""
            (?:通知|联系|联络|告知|告诉|打电话给|致电|找|通报)(?:您|你|贵司|贵公司)?的?(?:家人|家属|亲属|
            亲友|亲戚|父母|配偶|爱人|子女|孩子|工作单位|单位|领导|上司|老板|雇主|同事|邻居|朋友|通讯录|
            紧急联系人) | (?:通知|联系|告知|告诉)(?:您|你|贵司|贵公司)的(?:客户|供应商|合作伙伴|股东) |
            曝光 | 公开(?:您|你|贵司|贵公司)?的?(?:欠款|债务|信息|姓名|名称|身份) | 张贴 | (?:发|贴|挂|
            公布)(?:在|到)(?:网上|网络|朋友圈|微博|小区|公司门口|门口) | 朋友圈 | (?:网上|网络|媒体|
            微博)上?(?:公开|公布|曝光|发布) | 公布(?:欠款|姓名|名单|欠债) | 爆\S{0,2}通讯录
        """,
        "insult": r"""
            老赖 | 赖账 | 赖皮 | 骗子 | 无赖 | 废物 | 不要脸 | 人渣 | 混蛋 | 王八蛋 | 去死 | 他妈 | 妈的 |
            操你 | 傻[逼比屄b] | 狗东西 | 畜生 | 贱人 | 垃圾(?!邮件|郵件|信件|箱|短信|簡訊|信息|訊息|信|
            桶) | 脑残 | 白痴 | 蠢货 | 无耻
        """,
        "collection_fee": r"""
            催收(?:服务|手续|管理)?费 | 上门(?:催收)?费 | 外访费 | 代收费 | (?:额外|另行)(?:收取|加收|
            收费) | (?:额外|附加)费用 | 律师费由(?:您|你|贵司|贵公司)?的?承担 | 差旅费
        """,
        "new_borrowing": r"""
            借钱(?:来)?还 | (?:向|找)(?:亲友|亲戚|朋友|家人|他人|别人)借 | 网贷 | 以贷养贷 | 套现 |
            (?:申请|办理)(?:新的)?贷款(?:来)?(?:还|偿还|支付|付款) | 刷(?:信用)?卡(?:来)?(?:还|偿还) |
            (?:卖|变卖|抵押)(?:房|车|家产) | 高利贷
        """,
        "false_consequence": r"""
            冻结(?:您|你|贵司|贵公司)?的?(?:银行)?(?:账户|资产|财产|存款) | 查封 | 扣押(?!金) | 强制划扣 |
            (?:没收|拍卖)(?:您|你|贵司|贵公司)?的?(?:财产|资产|房产) | 限制(?:人身)?自由
        """,
        LEGAL_ACTION: r"""
            起诉 | 诉讼(?!时效) | 诉诸法律 | 法律(?:行动|程序|手段|途径|诉讼|武器|措施) |
            追究[^，。；,;]{0,8}?法律责任 | 法庭上见 | 对簿公堂 | 强制执行 | 申请执行 | 仲裁 | 律师函 |
            律师事务所 | 委托律师 | 支付令 | 司法(?:途径|程序|救济) | 向(?:有管辖权的)?(?:人民)?法院
        """,
    },
    chinese=True,
)

_HANT = _rules(
    {
        "violence": r"""
            打斷\S{0,3}腿 | 打死 | 弄死 | 砍死 | 砍(?:你|您) | 殺了(?:你|您) | (?:讓|叫)(?:你|您)(?:好看|
            付出代價|後悔) | 吃不完兜著走 | 走著瞧 | 後果自負 | 人身安全 | 找人(?:處理|教訓|修理) |
            教訓(?:你|您) | 小心點 | (?:你|您)小心 | 潑(?:油)?漆 | 堵(?:你|您)的?(?:家)?門 | 上門堵 |
            (?:你|您)的?家人\S{0,6}(?:安全|出事)
        """,
        "arrest": r"""
            拘留 | 羈押 | 逮捕 | 抓(?:你|您|人|起來) | 坐牢 | 入獄 | 判刑 | 刑事 | (?:涉嫌|構成)(?:犯罪|
            詐欺|詐騙|背信) | 詐欺罪 | 報警 | 報案 | 警察 | 警方 | 地檢署 | 移送法辦 | 檢察官
        """,
        "impersonation": r"""
            (?:我們|我方|本公司|敝公司|本人|這裡)(?:是|係|來自|代表)[^，。,.;；\s]{0,16}?(?:法院|警察|警方|
            派出所|警察局|地檢署|檢察署|政府|律師事務所|事務所|國稅局|調查局|執行署) | 本院 | 本署 |
            傳票 | 法院(?:通知|公告) | 執行命令 | 行政執行署 | (?:以|代表)(?:法院|警方|政府|
            律師事務所)的?名義
        """,
        "blacklist": r"""
            黑名單 | 失信 | 拒往 | 拒絕往來 | 聯徵 | 聯合徵信 | 徵信 | 信用(?:紀錄|記錄|檔案)?(?:污點|
            受損|變差) | (?:影響|損害|拉低)(?:您|你|貴公司|貴司)?的?(?:個人|企業)?信用(?!額度|等級|期|
            條件|政策) | 限制(?:出境|高消費)
        """,
        "shaming": r"""
            (?:通知|聯繫|聯絡|告知|告訴|打電話給|致電|找|通報)(?:您|你|貴公司|貴司)?的?(?:家人|家屬|親屬|
            親友|親戚|父母|配偶|子女|小孩|工作單位|單位|主管|上司|老闆|雇主|僱主|同事|鄰居|朋友|通訊錄|
            緊急聯絡人) | (?:通知|聯繫|聯絡|告知|告訴)(?:您|你|貴公司|貴司)的(?:客戶|供應商|合作夥伴|
            股東) | 曝光 | 公開(?:您|你|貴公司|貴司)?的?(?:欠款|債務|資訊|姓名|名稱|身分|身份) | 張貼 |
            (?:發|貼|掛|公布)(?:在|到)(?:網路|網上|臉書|社群|社區|公司門口|門口) | 臉書 | (?:網路|網上|
            媒體|社群)上?(?:公開|公布|曝光|發布) | 公布(?:欠款|姓名|名單|欠債) | 爆\S{0,2}通訊錄
        """,
        "insult": r"""
            老賴 | 賴帳 | 賴皮 | 騙子 | 無賴 | 廢物 | 不要臉 | 人渣 | 混蛋 | 王八蛋 | 去死 | 他媽 | 媽的 |
            幹你 | 傻[逼屄b] | 狗東西 | 畜生 | 賤人 | 垃圾(?!邮件|郵件|信件|箱|短信|簡訊|信息|訊息|信|
            桶) | 腦殘 | 白痴 | 蠢貨 | 無恥 | 白目
        """,
        "collection_fee": r"""
            催收(?:服務|手續|管理)?費 | 上門(?:催收)?費 | 外訪費 | 代收費 | (?:額外|另行)(?:收取|加收|
            收費) | (?:額外|附加)費用 | 律師費由(?:您|你|貴公司|貴司)?的?(?:負擔|承擔) | 差旅費
        """,
        "new_borrowing": r"""
            借錢(?:來)?還 | (?:向|找)(?:親友|親戚|朋友|家人|他人|別人)借 | 網貸 | 以貸養貸 | 套現 |
            (?:申請|辦理)(?:新的)?貸款(?:來)?(?:還|償還|支付|付款) | 刷(?:信用)?卡(?:來)?(?:還|償還) |
            (?:賣|變賣|抵押)(?:房|車|家產) | 高利貸 | 地下錢莊 | 當鋪
        """,
        "false_consequence": r"""
            凍結(?:您|你|貴公司|貴司)?的?(?:銀行)?(?:帳戶|戶頭|資產|財產|存款) | 查封 | 扣押(?!金) |
            扣薪 | 扣(?:您|你)的?薪 | 強制執行(?:您|你|貴公司|貴司)?的?(?:財產|薪水|薪資) | 拍賣(?:您|你|
            貴公司|貴司)?的?(?:財產|房產|資產) | 限制(?:人身)?自由
        """,
        LEGAL_ACTION: r"""
            起訴 | 訴訟(?!時效) | 提告 | (?:去|會|將|要)告(?:你|您) | 法律(?:行動|程序|手段|途徑|訴訟|
            措施) | 追究[^，。；,;]{0,8}?法律責任 | 法庭上見 | 對簿公堂 | 強制執行 | 聲請(?:強制)?執行 |
            支付命令 | 仲裁 | 律師函 | 律師事務所 | 委任律師 | 委託律師 | 司法(?:途徑|程序) |
            向(?:管轄)?法院
        """,
    },
    chinese=True,
)

_EN = _rules(
    {
        "violence": r"""
            \b(?:hurt|harm|kill|beat(?:\s+up)?)\s+you\b | \byou(?:'ll|\s+will)\s+regret\b |
            \bwatch\s+your\s+back\b | \bwe\s+know\s+where\s+you\s+live\b | \bpay\s+or\s+else\b |
            \bpersonal\s+safety\b | \bviolence\b | \bsomething\s+(?:bad\s+)?(?:will|might|
            could)\s+happen\b | \bsend\s+(?:some\s+)?(?:people|someone|our\s+(?:men|boys))\s+(?:round|
            over|to\s+your)\b
        """,
        "arrest": r"""
            \barrest(?:ed|ing)?\b | \bjail(?:ed)?\b | \bgaol\b | \bprison\b | \bimprison(?:ed|ment)?\b |
            \bpolice\b | \bcriminal\b | \bcrimes?\b | \bprosecut(?:e|ed|ion)\b | \bwarrant\s+for\b |
            \blocked\s+up\b | \b(?:commit(?:ted|ting)?|guilty\s+of|constitutes?|amounts?\s+to)\s+fraud\b
        """,
        "impersonation": r"""
            \b(?:we\s+are|this\s+is|on\s+behalf\s+of|acting\s+for|calling\s+from|
            writing\s+from)\s+(?:the\s+|a\s+|an\s+)?(?:[a-z]+\s+)?(?:court|police|sheriff|bailiffs?|
            government|tax\s+(?:office|authority)|hmrc|irs|law\s+firm|solicitors?|attorneys?|lawyers?)\b |
            \bsummons\b | \bcourt\s+(?:order|notice)\s+(?:no\.?|number|against\s+you) |
            \bofficial\s+(?:court|government|legal)\s+(?:notice|document|demand)\b
        """,
        "blacklist": r"""
            \bblack\s*-?\s*list(?:ed|s|ing)?\b | \bcredit\s+(?:bureaus?|reference\s+agenc(?:y|ies)|
            reporting|reports?|files?|scores?|ratings?|history|records?)\b | \breport\s+(?:you|
            your\s+(?:company|business|account|debt|default))\s+to\b | \b(?:ruin|damage|destroy|harm|
            hurt)\s+your\s+(?:credit|reputation|good\s+name)\b | \b(?:defaulters?|bad\s+debtors?|
            debtors?)\s+(?:list|register)\b
        """,
        "shaming": r"""
            \b(?:tell|inform|contact|notify|call|phone|ring|e-?mail|write\s+to|visit|alert)\s+(?:your\s+|
            the\s+)?(?:family|relatives|spouse|wife|husband|parents|children|kids|employer|boss|
            line\s+manager|neighbou?rs|friends|customers|clients|suppliers|business\s+partners|
            shareholders)\b | \bname\s+and\s+shame\b | \b(?:make|made)\s+(?:this|it|the\s+debt|
            your\s+debt|the\s+matter)\s+public\b | \bpublic(?:ly)?\s+(?:list|name|shame|expose|disclose) |
            \bsocial\s+media\b | \bexpose\s+you\b | \b(?:post|publish|share|display)\s+(?:your|the|
            this)\s+(?:name|details|debt|information)\b | \byour\s+(?:neighbou?rs|family|employer|
            friends)\s+will\s+(?:know|be\s+told|find\s+out|hear)\b | \beveryone\s+will\s+know\b
        """,
        "insult": r"""
            \b(?:idiot(?:ic|s)?|stupid|moron|liars?|cheats?|scum|deadbeats?|losers?|thie(?:f|ves)|crooks?|
            disgrace(?:ful)?|pathetic|worthless|shameless|fuck\w*|shit\w*|bastards?|damn(?:ed)?|bloody|
            crap|useless|incompetent|dishonest|parasites?)\b
        """,
        "collection_fee": r"""
            \b(?:debt\s+)?collection\s+(?:fees?|charges?|costs?)\b | \b(?:admin(?:istration|istrative)?|
            handling|processing|call[- ]?out|visit(?:ing)?|field|tracing|agency)\s+(?:fees?|charges?)\b |
            \bextra\s+(?:fees?|charges?)\b | \bsurcharges?\b
        """,
        "new_borrowing": r"""
            \bborrow(?:ing)?\s+(?:money|from|the\s+money|funds|against)\b |
            \btake\s+out\s+(?:a\s+)?(?:new\s+)?loan\b | \bget\s+a\s+loan\b | \bpayday\s+loans?\b |
            \bloan\s+sharks?\b | \b(?:sell|remortgage|pawn)\s+your\s+(?:house|home|car|property|assets|
            belongings)\b | \bmax(?:imum)?\s+out\s+your\s+credit\s+cards?\b
        """,
        "false_consequence": r"""
            \bfreez(?:e|ing)\s+(?:your\s+)?(?:bank\s+accounts?|assets|funds)\b | \bseiz(?:e|
            ure\s+of)\s+(?:your\s+)?(?:assets|property|goods|home|house|car|belongings)\b |
            \bbailiffs?\b | \benforcement\s+agents?\b | \bgarnish(?:ee|ment|ed)?\b | \b(?:wage|salary|
            earnings)\s+(?:garnishment|deductions?|arrest)\b | \brepossess(?:ion|ed)?\b |
            \btravel\s+ban\b | \bbankrupt\s+you\b
        """,
        LEGAL_ACTION: r"""
            \b(?:will|shall|may|might|to|going\s+to|intend\s+to|then)\s+sue\b | \bsu(?:ed|ing)\b |
            \blawsuits?\b | \blegal\s+(?:action|proceedings|steps|measures|remedies)\b | \b(?:court|
            judicial)\s+(?:action|proceedings|claim)\b | \btake\s+(?:you|your\s+(?:company|business)|this|
            the\s+matter)\s+to\s+court\b | \blitigation\b | \bcounty\s+court\s+judge?ments?\b |
            \bCCJs?\b | \bwinding[- ]up\s+(?:petition|order)\b | \bbankruptcy\s+(?:petition|
            proceedings)\b | \bstatutory\s+demand\b | \b(?:our|a|the)\s+(?:solicitors?|attorneys?|
            lawyers?|law\s+firm)\b | \b(?:debt\s+)?collection\s+agenc(?:y|ies)\b |
            \bdebt\s+collectors?\b | \blawyer'?s\s+letter\b | \bletter\s+before\s+(?:action|claim)\b
        """,
    },
    chinese=False,
)

RULES: Final[dict[Language, tuple[Rule, ...]]] = {
    "zh-CN": _HANS + _HANT + _EN,
    "zh-TW": _HANT + _HANS + _EN,
    "en": _EN + _HANS + _HANT,
}

_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_IN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")
_HAN = re.compile("[\u4e00-\u9fff]")


def _normalise(text: str) -> str:
    """NFKC (full-width letters become plain), no invisible characters, no spaces inside Chinese."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return _SPACES.sub(" ", _SPACE_IN_CJK.sub("", text))


def lint(text: str, language: Language, *, allow_legal_action: bool = False) -> list[LintHit]:
    """Every forbidden phrase of `text`, in the order it appears; [] when the wording is clean."""
    prepared = _normalise(text)
    has_chinese = _HAN.search(prepared) is not None
    found: dict[tuple[str, int, int], LintHit] = {}
    for rule in RULES[language]:
        if (rule.code == LEGAL_ACTION and allow_legal_action) or (rule.chinese and not has_chinese):
            continue
        for match in rule.pattern.finditer(prepared):
            key = (rule.code, match.start(), match.end())
            found.setdefault(key, LintHit(rule.code, rule.message, match.group()))
    return [found[key] for key in sorted(found, key=lambda key: (key[1], key[0]))]
