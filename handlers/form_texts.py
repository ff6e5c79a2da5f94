"""Everything the report form says to people, in one place (Simplified Chinese)."""
from __future__ import annotations

QUESTIONS: dict[str, str] = {
    "product": "请问是哪件产品出了问题？（例如：厨房水龙头、马桶、智能门锁）",
    "description": "请简单描述一下故障情况。",
    "address": "请告诉我地址：小区、楼栋、单元和房号（例如：翠湖花园 3栋2单元501）。",
    "phone": "请留一个联系电话（11位手机号）。",
    "when": "希望师傅什么时间上门？（例如：明天下午3点、周六上午、12月8号上午）",
}
ROOM = "请补充房号（例如：501）；如是公共区域，请回复「公共区域」。"
COMMUNITY = ("请问是哪个小区？（例如：{examples}）如果不在这些小区，告诉我附近的地标或街道也可以，"
             "例如「文三路和学院路路口的XX大厦」。")
DESK_PHONE = "请输入报修业主的手机号（业主会收到进度通知）。"
COMPLAINT_DETAILS = "请具体说说您要投诉的情况（哪张工单、哪位师傅、发生了什么），我们会认真处理。"

NOTED = "好的，已记下：{what}。"
URGENT_NOTED = "已按紧急处理（{hazard}）。"
HAZARDS = {"flood": "漏水扩散", "power": "用电安全", "gas": "燃气气味", "fire": "明火", "locked_out": "无法进门",
           "glass": "玻璃破损", "said": "您说比较急"}
PHOTO_NOTED = "照片收到了，会随工单一起提交。"
PHOTO_FIRST = "收到照片，会随报修一起提交。请用文字说一下是什么坏了、什么情况，我来帮您报修。"

BAD_PHONE = "手机号好像不对，请输入 11 位手机号，例如 13800138000。"
PAST_TIME = "这个时间已经过去了，请说一个以后的时间，例如：明天下午3点、周六上午。"
BAD_TIME = "没看懂这个时间，请换个说法，例如：明天下午3点、周六上午、12月8号上午。"
HOLIDAY = "{day} 是{name}假期，师傅上门可能要另外安排。确定约这个时间吗？不方便的话直接告诉我别的时间。"
HOLIDAY_BUTTONS = ("确定", "换个时间")

CANCELLED = "好的，已取消本次报修，有需要随时找我。"
NOTHING_TO_CHANGE = ("没找到要改的内容。请直接发正确的信息，例如「不是马桶 是洗手池」「房号502」"
                     "「电话13900139000」「换成滨江壹号」。")
WHAT_IS_WRONG = "请问哪里不对？直接发正确的内容即可，例如「不是马桶 是洗手池」「房号502」「电话换成13900139000」。"
ADDED_DETAIL = "已补充到描述。"

SUMMARY_HEAD = "请确认报修信息："
LAST_ADDRESS = "（上次报修的地址；如不是这里，直接发新地址）"
SUMMARY_ADD_COMMUNITY = "（如需补充小区名称，直接回复小区名即可）"
SUMMARY_TAIL = "回复「确认」提交，「修改」重新填写，「取消」放弃；哪一项不对，直接发正确的内容即可。"
CONFIRM_BUTTONS = ("确认", "修改", "取消")

OPENED = "报修成功！工单号 {number}。{promise}，有进展会通知您。回复「进度」可随时查询。"
OPENED_WITH_PHOTOS = "已附上您发的 {count} 张照片。"
OPENED_FOR_CALLER = "已代客创建工单 {number}，业主 {phone} 会收到进度通知。{promise}。\n{charge}"
OTHER_PHONE = ("您填写的号码 {phone} 不是本账号绑定的号码，工单已按该号码建立，"
               "进度通知会发给该号码的客户；您在这里仍是原来绑定的身份。")
KNOWN_PHONE = ("该号码已有服务记录。为保护隐私，进度通知会发到该号码常用的渠道；"
               "如需在这里查询，请回复「绑定」验证身份。")

ALREADY_MADE = "工单 {number} 已经提交好了，有进展会通知您；回复「进度」可随时查询。"
JUST_MADE_DETAIL = "收到，已补充到刚提交的工单 {number}，师傅上门前会看到。"
TIMED_OUT = "您之前的报修草稿很久没有继续，已经失效了。请重新描述一下问题和地址，我来帮您报修。"
FOLLOW_UP = ("您是说之前报修的问题还没解决吗？师傅已修完的请回复「没修好」，我们重新安排上门；"
             "想看工单情况请回复「进度」；如果是新的问题，请连同地址一起描述。")
