package synth

import (
	"math"
	"math/rand/v2"
	"strings"
)

// Names are composed from common characters at random, so no generated
// name is taken from a real record; the lists only make them look right.

// nationalSurnames are common Chinese surnames, most frequent first; the
// weight of each falls with its rank.
var nationalSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")

// localSurnames are surnames common among Foshan families (Cantonese),
// most frequent first.
var localSurnames = []rune("陈梁李黄何冯罗麦区潘关邓吴张林谭叶蔡钟卢霍简岑庞苏杜郭伍招植余刘杨周")

var (
	nationalSurnameCum = rankWeights(len(nationalSurnames), 0.9)
	localSurnameCum    = rankWeights(len(localSurnames), 0.8)
)

// rankWeights is a cumulative table with weights 1/rank^s.
func rankWeights(n int, s float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), s)
	}
	return cumulative(w)
}

// Given-name characters by sex and by the era a person was born in: names
// follow fashions, and a grandmother named 子涵 would look wrong.
var givenChars = [2][3][]rune{
	{ // female
		[]rune("秀英兰芳玉桂珍凤霞华琼丽美淑娟金银妹好群彩燕梅莲"),
		[]rune("丽婷静敏燕红艳霞娟芳慧晓颖玲雪洁琳倩欣佩春玉嘉咏"),
		[]rune("子梓欣怡涵萱诗雨语可佳思若依沐晴悦琪妍彤芷希梦雅"),
	},
	{ // male
		[]rune("国建华明强伟军平志勇德文荣福林永昌贵新辉海金光祥树根炳锦棠添耀"),
		[]rune("伟涛斌杰浩俊鹏磊超峰东敏健刚锋亮勇宇嘉志文家永振鸿卓"),
		[]rune("子梓浩宇轩睿俊铭博泽辰皓宸航昊晨一嘉乐瑞锦烨景霖煜"),
	},
}

// personName composes a name from a surname and one or two given-name
// characters suited to sex and birth year.
func personName(r *rand.Rand, surname rune, male bool, birthYear int) string {
	era := 2
	switch {
	case birthYear < 1970:
		era = 0
	case birthYear < 1995:
		era = 1
	}
	sex := 0
	if male {
		sex = 1
	}
	chars := givenChars[sex][era]
	var b strings.Builder
	b.WriteRune(surname)
	a := chars[r.IntN(len(chars))]
	b.WriteRune(a)
	single := 0.3
	if era == 2 {
		single = 0.12
	}
	if r.Float64() >= single {
		c := chars[r.IntN(len(chars))]
		for c == a {
			c = chars[r.IntN(len(chars))]
		}
		b.WriteRune(c)
	}
	return b.String()
}

func surname(r *rand.Rand, local bool) rune {
	if local && r.Float64() < 0.8 {
		return localSurnames[pick(r, localSurnameCum)]
	}
	return nationalSurnames[pick(r, nationalSurnameCum)]
}

// Community names: two characters and the kind of committee. Urban
// neighbourhoods have residents' committees (社区居委会), the villages of
// the town and of Zhangcha village committees (村委会).
var (
	placeFirst  = []rune("东西南北新大上下中永安和兴华福康宁丰隆庆祥泰嘉金石莲桂榕松梅兰朝升平同文明乐锦翠湖江河海岗塘沙田澜紫罗吉龙瑞聚")
	placeSecond = []rune("华安源塘岗头边洲湖庄园苑景明乐平丰盛隆兴宁和泰兰溪涌滘坊围基岭桥心村岸堤")
)

// Firm names: a trade name (字号) of two characters and the line of
// business.
var tradeChars = []rune("鸿德盛华信达利丰源恒泰昌隆兴宏金美嘉佳新创联汇通宝晟卓越科腾骏荣锦豪俊致远海润雅艺")
